"""An agency's requests to the centre about a case: not ours (申請改分), more time (申請展延)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, BigId, UTCDateTime


class CaseRequest(Base):
    """One request and, once a supervisor decided it, the decision. The case's trail has an event for each."""

    __tablename__ = "case_requests"
    __table_args__ = (
        Index("ix_case_requests_case_id_kind_state", "case_id", "kind", "state"),
        # The wall's list of pending requests, oldest first.
        Index("ix_case_requests_state_requested_at", "state", "requested_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(20))  # RequestKind
    state: Mapped[str] = mapped_column(String(20))  # RequestState
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))  # the agency that asked
    # The case's SLA round when asked: a request about an earlier round no longer applies.
    sla_round: Mapped[int] = mapped_column(Integer)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    to_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))  # jurisdiction: who it says
    report_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # extension: the date asked for
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)

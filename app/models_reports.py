"""Frozen monthly reports: the figures as signed, kept unchanged (re-exported by app.models)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class ReportSnapshot(Base):
    """A month's report as it was frozen for sign-off: who, when, and every figure. Append-only."""

    __tablename__ = "report_snapshots"
    __table_args__ = (UniqueConstraint("kind", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "monthly"
    month: Mapped[str] = mapped_column(String(7))  # "2023-07", the month in Asia/Taipei
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    frozen_by_name: Mapped[str] = mapped_column(String(80))
    app_version: Mapped[str] = mapped_column(String(40))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)

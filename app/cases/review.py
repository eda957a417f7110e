"""結案審核, the centre's closure review: the reports awaiting it, and a return (退回) to the agency.

Accepting a report is closing the case (`actions.close_case` on a reported case: the citizen is then told the
outcome); returning it sends the case back to the same agency with the reason and a new deadline round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access import Actor
from app.cases.actions import _begin_action, send_back
from app.cases.lifecycle import Action
from app.db import utcnow, write_transaction
from app.errors import N_, InvalidInput
from app.models import Case
from app.vocabulary import CaseStatus, EventType

REVIEW_LIMIT = 8  # rows on the wall, as its other lists


def return_case(
    *, session: Session, actor: Actor, case_no: str, version: int, reason: str, now: datetime | None = None
) -> Case:
    """退回: the report is not good enough; the agency gets the case back, the reason, and a new round."""
    now = now or utcnow()
    reason = (reason or "").strip()
    with write_transaction(session):
        case = _begin_action(session, actor, case_no, version, Action.RETURN)
        if not reason:
            raise InvalidInput("case.return_needs_reason", fields={"reason": [N_("field.required")]})
        # As a reopening: the agency's clock starts again from now, and it is alerted as for a new dispatch.
        send_back(
            session,
            case,
            actor=actor,
            now=now,
            event_type=EventType.CASE_RETURNED,
            reason=reason,
            reported_at=case.reported_at.astimezone(UTC).isoformat() if case.reported_at else None,
            outcome=case.report_outcome,
        )
    return case


@dataclass(frozen=True)
class AwaitingReview:
    rows: Sequence[Case]
    total: int


def awaiting_review(*, session: Session, limit: int = REVIEW_LIMIT) -> AwaitingReview:
    """Reported cases waiting for the centre's decision, the longest-waiting first."""
    waiting = select(Case).where(Case.status == CaseStatus.REPORTED)
    total = session.scalar(select(func.count()).select_from(waiting.subquery())) or 0
    rows = session.scalars(waiting.order_by(Case.reported_at, Case.id).limit(limit)).all()
    return AwaitingReview(rows=rows, total=int(total))

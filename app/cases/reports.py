"""追加反映: another caller reports a matter already open; the case keeps the reporter and counts the reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.access import Actor
from app.audit import record_event
from app.errors import N_, Conflict, InvalidInput
from app.models import Case, CaseEvent
from app.vocabulary import OPEN_STATUSES, EventType

TEXT_MAX = 2000


def record_report(
    session: Session,
    case: Case,
    *,
    actor: Actor,
    now: datetime,
    reporter_name: str | None,
    reporter_phone: str | None,
    anonymous: bool,
    text: str | None,
    call_id: int | None,
) -> CaseEvent:
    """Inside the caller's transaction: a `report_added` event with this reporter, and one more report counted.

    The count is a plain UPDATE, not a new version: a second report changes nothing an agency's open
    form depends on, so nobody's form goes stale because another citizen called.
    """
    if case.status not in OPEN_STATUSES:
        raise Conflict("case.not_open_for_report", case_no=case.case_no, status=case.status.value)
    words = (text or "").strip() or None
    if words and len(words) > TEXT_MAX:
        raise InvalidInput("validation.failed", fields={"text": [N_("call.text_too_long")]})
    name = None if anonymous else (reporter_name or "").strip() or None
    session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(report_count=Case.report_count + 1)
        .execution_options(synchronize_session=False)
    )
    count = session.get_one(Case, case.id, populate_existing=True).report_count
    return record_event(
        session,
        case,
        EventType.REPORT_ADDED,
        actor=actor,
        occurred_at=now,
        reporter_name=name,
        reporter_phone=reporter_phone,
        anonymous=anonymous,
        text=words,
        call_id=call_id,
        report_count=count,
    )

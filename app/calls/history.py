"""A caller's history, beside the intake form: their earlier calls and cases, open cases first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from app import phones
from app.access import Actor
from app.models import Call, Case
from app.vocabulary import OPEN_STATUSES

CASES_MAX = 20
CALLS_MAX = 20
# From this many calls today the agent is told so (one caller ringing again and again).
MANY_CALLS_TODAY = 3


@dataclass(frozen=True)
class CallerHistory:
    phone: str | None  # E.164, or None when the number was withheld or not a number
    cases: Sequence[Case]  # open ones first, then the newest
    calls: Sequence[Call]  # newest first, this call left out
    calls_today: int  # this call included

    @property
    def many_calls_today(self) -> bool:
        return self.calls_today >= MANY_CALLS_TODAY


def caller_history(
    *, session: Session, actor: Actor, caller: str | None, now: datetime, tz: ZoneInfo, this_call_id: int | None = None
) -> CallerHistory:
    """Cases the number reported or earlier calls were about, and its calls; nothing for an unknown number."""
    phone = phones.try_normalise(caller) if caller else None
    if phone is None:
        return CallerHistory(phone=None, cases=[], calls=[], calls_today=0)
    calls = session.scalars(
        select(Call)
        .options(joinedload(Call.case))
        .where(Call.caller_phone == phone, Call.id != (this_call_id or 0))
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(CALLS_MAX)
    ).all()
    about = select(Call.case_id).where(Call.caller_phone == phone, Call.case_id.is_not(None))
    cases_statement = select(Case).where(or_(Case.reporter_phone == phone, Case.id.in_(about)))
    if actor.is_agency:
        cases_statement = cases_statement.where(Case.agency_id == actor.agency_id)
    open_first = Case.status.in_(OPEN_STATUSES).desc()
    cases = session.scalars(cases_statement.order_by(open_first, Case.id.desc()).limit(CASES_MAX)).all()
    midnight = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    today = session.scalar(
        select(func.count())
        .select_from(Call)
        .where(Call.caller_phone == phone, Call.started_at >= midnight, Call.started_at < midnight + timedelta(days=1))
    )
    return CallerHistory(phone=phone, cases=cases, calls=calls, calls_today=int(today or 0))

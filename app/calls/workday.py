"""An agent's day: the calls they took today and the cases those calls and their intake touched."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from app.access import Actor
from app.models import Call, Case

DAY_MAX = 500  # a busy agent takes some 150 calls a day


@dataclass(frozen=True)
class WorkDay:
    calls: Sequence[Call]  # newest first
    cases: Sequence[Case]  # newest first


def day_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Midnight of the centre's day (Asia/Taipei) that `now` falls in."""
    return now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)


def agent_day(*, session: Session, actor: Actor, now: datetime, tz: ZoneInfo) -> WorkDay:
    """Today's calls of this agent, and the cases they opened today or their calls of today were about."""
    start = day_start(now, tz)
    end = start + timedelta(days=1)
    calls = session.scalars(
        select(Call)
        .options(joinedload(Call.case))
        .where(Call.agent_id == actor.user_id, Call.started_at >= start, Call.started_at < end)
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(DAY_MAX)
    ).all()
    case_ids = {call.case_id for call in calls if call.case_id is not None}
    cases = session.scalars(
        select(Case)
        .where(
            or_(
                Case.id.in_(case_ids),
                (Case.created_by_id == actor.user_id) & (Case.created_at >= start) & (Case.created_at < end),
            )
        )
        .order_by(Case.id.desc())
        .limit(DAY_MAX)
    ).all()
    return WorkDay(calls=calls, cases=cases)

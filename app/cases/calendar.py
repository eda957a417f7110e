"""Calendar overrides (停班, late changes): set or remove one, and move open cases' deadlines at once.

One service function, one transaction: the override row, the recomputed deadlines of every
open case on the working clock, and an `sla_recomputed` event on each case whose deadline moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import Actor
from app.audit import record_event
from app.cases import deadlines
from app.db import utcnow, write_transaction
from app.errors import N_, Forbidden, InvalidInput, NotFound
from app.models import CalendarOverride, Case
from app.reference.cache import reference_cache
from app.vocabulary import CaseStatus, EventType, Role
from sla.calendar import CalendarDay, GovernmentCalendar, Override
from sla.policy import ClockKind

ADMINISTRATORS = frozenset({Role.ADMIN})
FIRST_YEAR, LAST_YEAR = 1990, 2100
_MEASURED = frozenset({CaseStatus.ASSIGNED, CaseStatus.ACKNOWLEDGED, CaseStatus.WAITING_CITIZEN})
_CHUNK = 1000


@dataclass(frozen=True)
class OverrideResult:
    day: date
    working: bool | None  # None: the override was removed
    reason: str
    recomputed: int  # open cases whose deadlines moved


def set_override(
    *,
    session: Session,
    actor: Actor,
    day: date,
    working: bool,
    reason: str,
    allow_past: bool = False,
    now: datetime | None = None,
) -> OverrideResult:
    """Declare a day closed (停班) or open; every open case on working time is recomputed."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason:
        raise InvalidInput("validation.failed", fields={"reason": [N_("field.required")]})
    with write_transaction(session):
        _check(session, actor, day, now, allow_past)
        row = session.scalar(select(CalendarOverride).where(CalendarOverride.day == day).with_for_update())
        if row is None:
            row = CalendarOverride(day=day, created_by_id=actor.user_id)
            session.add(row)
        row.working, row.reason, row.created_at = working, reason, now
        session.flush()
        moved = _recompute_open_cases(session, actor, now, day=day, why=reason)
    return OverrideResult(day, working, reason, moved)


def remove_override(
    *, session: Session, actor: Actor, day: date, allow_past: bool = False, now: datetime | None = None
) -> OverrideResult:
    """Take an override back: the official calendar applies to that day again."""
    now = now or utcnow()
    with write_transaction(session):
        _check(session, actor, day, now, allow_past)
        row = session.scalar(select(CalendarOverride).where(CalendarOverride.day == day).with_for_update())
        if row is None:
            raise NotFound("calendar.no_override", day=day.isoformat())
        reason = row.reason
        session.delete(row)
        session.flush()
        moved = _recompute_open_cases(session, actor, now, day=day, why=f"取消：{reason}")
    return OverrideResult(day, None, reason, moved)


def calendar_year(
    session: Session, year: int, *, tz_today: date | None = None
) -> tuple[list[CalendarDay], list[CalendarOverride]]:
    """Every day of the year as the SLA clock sees it, and the overrides that shaped it."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise NotFound("calendar.year_out_of_range", year=year)
    overrides = session.scalars(select(CalendarOverride).order_by(CalendarOverride.day)).all()
    calendar = GovernmentCalendar(Override(row.day, row.working, row.reason) for row in overrides)
    in_year = [row for row in overrides if row.day.year == year]
    return calendar.year(year), in_year


def _check(session: Session, actor: Actor, day: date, now: datetime, allow_past: bool) -> None:
    if actor.role not in ADMINISTRATORS:
        raise Forbidden("auth.forbidden", role=actor.role.value)
    today = now.astimezone(deadlines.load_context(session).tz).date()
    if day < today and not allow_past:
        # Deadlines that passed under the old calendar have already fired; rewriting history is refused.
        raise InvalidInput(
            "calendar.override_in_past", fields={"day": ["calendar.override_in_past"]}, day=day.isoformat()
        )


def _recompute_open_cases(session: Session, actor: Actor, now: datetime, *, day: date, why: str) -> int:
    snapshot = reference_cache.snapshot(session)
    working_keys = {key for (key, _), policy in snapshot.policy_versions.items() if policy.clock is ClockKind.WORKING}
    if not working_keys:
        return 0
    context = deadlines.load_context(session)
    case_ids = session.scalars(
        select(Case.id)
        .where(Case.status.in_(_MEASURED), Case.sla_policy.in_(working_keys))
        .order_by(Case.id)
        .with_for_update()
    ).all()
    moved = 0
    for start in range(0, len(case_ids), _CHUNK):
        chunk = case_ids[start : start + _CHUNK]
        fired, pauses = deadlines.fired_keys(session, chunk), deadlines.pauses_of(session, chunk)
        for case in session.scalars(select(Case).where(Case.id.in_(chunk))):
            policy = deadlines.case_policy(session, case)
            if policy is None or case.sla_started_at is None:
                continue
            before = (case.ack_due_at, case.report_due_at)
            _, fields, _ = deadlines.sla_fields(
                case,
                policy,
                context,
                now=now,
                pauses=pauses.get(case.id, deadlines.NO_PAUSES),
                fired=fired.get(case.id, set()),
            )
            if (fields["ack_due_at"], fields["report_due_at"]) == before and fields["sla_stage"] == case.sla_stage:
                continue
            deadlines.write_sla_columns(session, [{"case_id": case.id, **fields}])
            record_event(
                session,
                case,
                EventType.SLA_RECOMPUTED,
                actor=actor,
                occurred_at=now,
                reason=why,
                day=day.isoformat(),
                previous_report_due_at=_iso(before[1]),
                report_due_at=_iso(fields["report_due_at"]),
                previous_ack_due_at=_iso(before[0]),
                ack_due_at=_iso(fields["ack_due_at"]),
            )
            moved += 1
    return moved


def _iso(moment: object) -> str | None:
    # Event payloads carry UTC, like every stored time; the API shows them in local time.
    return moment.astimezone(UTC).isoformat() if isinstance(moment, datetime) else None

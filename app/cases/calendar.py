"""Calendar overrides (停班 for a day or part of it, late changes): set or remove one, and move open
cases' deadlines at once; and the recomputation every change of the calendar's truth shares.

One service function, one transaction: the override row, the recomputed deadlines of every
open case on the working clock, and an `sla_recomputed` event on each case whose deadline moved.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access import Actor
from app.admin_audit import record_admin_change
from app.audit import record_event
from app.cases import deadlines
from app.db import utcnow, write_transaction
from app.errors import N_, Forbidden, InvalidInput, NotFound
from app.models import CalendarOverride, Case, OfficialCalendarYear
from app.reference.cache import reference_cache
from app.vocabulary import CaseStatus, EventType, Role
from sla.calendar import FIRST_YEAR, LAST_YEAR, CalendarDay, YearOutOfRange, check_range, check_year
from sla.policy import ClockKind

ADMINISTRATORS = frozenset({Role.ADMIN})
# Changes nobody typed (a new version of the holiday source) are the system's.
SYSTEM = Actor(user_id=None, username="system", role=Role.ADMIN)
_MEASURED = frozenset({CaseStatus.ASSIGNED, CaseStatus.ACKNOWLEDGED, CaseStatus.WAITING_CITIZEN})
_CHUNK = 1000


class Cause:
    """What changed the calendar's truth, as `sla_recomputed` events name it."""

    OVERRIDE = "override"
    OFFICIAL_IMPORT = "official_import"
    SOURCE_UPDATE = "source_update"


@dataclass(frozen=True)
class Recomputed:
    moved: int  # open cases whose deadlines moved
    overdue: int  # of them, cases a deadline of which now lies in the past


@dataclass(frozen=True)
class OverrideResult:
    day: date
    working: bool | None  # None: the override was removed
    reason: str
    recomputed: int  # open cases whose deadlines moved
    start: time | None = None
    end: time | None = None
    overdue: int = 0
    applied: bool = True  # False: a preview, nothing was written


class _Preview(Exception):
    """Raised inside the transaction to roll back a preview once its count is known."""

    def __init__(self, result: OverrideResult) -> None:
        super().__init__("preview")
        self.result = result


def set_override(
    *,
    session: Session,
    actor: Actor,
    day: date,
    working: bool,
    reason: str,
    start: time | None = None,
    end: time | None = None,
    allow_past: bool = False,
    preview: bool = False,
    now: datetime | None = None,
) -> OverrideResult:
    """Declare a day, or the part of it from `start` until `end`, closed (停班) or open; every open
    case on working time is recomputed. A day has one override: a new one replaces it. A preview
    counts the cases whose deadlines would move and writes nothing."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason:
        raise InvalidInput("validation.failed", fields={"reason": [N_("field.required")]})
    try:
        check_range(start, end)
    except ValueError:
        raise InvalidInput("calendar.bad_range", fields={"until": [N_("calendar.bad_range")]}) from None
    try:
        with write_transaction(session):
            _check(session, actor, day, end, now, allow_past)
            row = session.scalar(select(CalendarOverride).where(CalendarOverride.day == day).with_for_update())
            before = override_snapshot(row)
            if row is None:
                row = CalendarOverride(day=day, created_by_id=actor.user_id)
                session.add(row)
            row.working, row.reason, row.starts_at, row.ends_at, row.created_at = working, reason, start, end, now
            session.flush()
            done = recompute_open_cases(
                session, actor, now, cause=Cause.OVERRIDE, reason=reason, day=day.isoformat(), **_range(start, end)
            )
            result = OverrideResult(day, working, reason, done.moved, start, end, done.overdue, not preview)
            if preview:
                raise _Preview(result)
            _audit(session, actor, now, day, "created" if before is None else "updated", before, override_snapshot(row))
    except _Preview as shown:
        return shown.result
    return result


def remove_override(
    *, session: Session, actor: Actor, day: date, allow_past: bool = False, now: datetime | None = None
) -> OverrideResult:
    """Take an override back: the official calendar applies to that day again."""
    now = now or utcnow()
    with write_transaction(session):
        row = session.scalar(select(CalendarOverride).where(CalendarOverride.day == day).with_for_update())
        _check(session, actor, day, row.ends_at if row else None, now, allow_past)
        if row is None:
            raise NotFound("calendar.no_override", day=day.isoformat())
        reason, start, end = row.reason, row.starts_at, row.ends_at
        _audit(session, actor, now, day, "deleted", override_snapshot(row), None)
        session.delete(row)
        session.flush()
        done = recompute_open_cases(
            session,
            actor,
            now,
            cause=Cause.OVERRIDE,
            reason=f"取消：{reason}",
            day=day.isoformat(),
            **_range(start, end),
        )
    return OverrideResult(day, None, reason, done.moved, start, end, done.overdue)


@dataclass(frozen=True)
class CalendarYear:
    year: int
    days: list[CalendarDay]
    overrides: list[CalendarOverride]
    official: OfficialCalendarYear | None  # None: the year is estimated by the holiday source
    source: str  # the official file's source, or the holiday source's version


def calendar_year(session: Session, year: int) -> CalendarYear:
    """Every day of the year as the SLA clock sees it, the overrides that shaped it, and whether it
    is official or estimated."""
    try:
        check_year(year)
    except YearOutOfRange:
        raise NotFound("calendar.year_out_of_range", year=year, first=FIRST_YEAR, last=LAST_YEAR) from None
    calendar = deadlines.load_calendar(session)
    overrides = session.scalars(
        select(CalendarOverride)
        .where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
        .order_by(CalendarOverride.day)
    ).all()
    official = session.get(OfficialCalendarYear, year)
    return CalendarYear(year, calendar.year(year), list(overrides), official, calendar.table(year).source)


def years_in_use(session: Session, today: date) -> list[int]:
    """Last year to next year, the years open cases' deadlines run in, and any imported year."""
    years = {today.year - 1, today.year, today.year + 1}
    years.update(session.scalars(select(OfficialCalendarYear.year)))
    tz = deadlines.load_context(session).tz
    earliest, latest = session.execute(
        select(func.min(Case.sla_started_at), func.max(Case.report_due_at)).where(Case.status.in_(_MEASURED))
    ).one()
    if earliest is not None and latest is not None:
        years.update(range(earliest.astimezone(tz).year, latest.astimezone(tz).year + 1))
    return sorted(year for year in years if FIRST_YEAR <= year <= LAST_YEAR)


def require_administrator(actor: Actor) -> None:
    if actor.role not in ADMINISTRATORS:
        raise Forbidden("auth.forbidden", role=actor.role.value)


def _check(session: Session, actor: Actor, day: date, end: time | None, now: datetime, allow_past: bool) -> None:
    require_administrator(actor)
    try:
        check_year(day.year)
    except YearOutOfRange:
        raise InvalidInput(
            "calendar.year_out_of_range",
            fields={"day": [N_("field.bad_date")]},
            year=day.year,
            first=FIRST_YEAR,
            last=LAST_YEAR,
        ) from None
    tz = deadlines.load_context(session).tz
    ends = datetime.combine(day, end, tz) if end else datetime.combine(day + timedelta(days=1), time(0), tz)
    if ends <= now and not allow_past:
        # Deadlines that passed under the old calendar have already fired; rewriting history is refused.
        raise InvalidInput(
            "calendar.override_in_past", fields={"day": ["calendar.override_in_past"]}, day=day.isoformat()
        )


def override_snapshot(row: CalendarOverride | None) -> dict[str, Any] | None:
    """An override as the administrators' change log keeps it."""
    if row is None:
        return None
    return {
        "day": row.day.isoformat(),
        "working": row.working,
        "reason": row.reason,
        "from": row.starts_at.strftime("%H:%M") if row.starts_at else None,
        "until": row.ends_at.strftime("%H:%M") if row.ends_at else None,
    }


def _audit(
    session: Session,
    actor: Actor,
    now: datetime,
    day: date,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    # Without a user (the command line) the change log says so rather than naming a made-up account.
    record_admin_change(
        session,
        actor=actor if actor.user_id is not None else None,
        object_type="calendar_day",
        object_key=day.isoformat(),
        action=action,
        before=before,
        after=after,
        occurred_at=now,
    )


def _range(start: time | None, end: time | None) -> dict[str, str]:
    """A partial override's range for an event's payload; nothing for a whole day."""
    if start is None and end is None:
        return {}
    return {"from": (start or time(0)).strftime("%H:%M"), "until": end.strftime("%H:%M") if end else "24:00"}


def recompute_open_cases(
    session: Session, actor: Actor, now: datetime, *, cause: str, reason: str, **details: Any
) -> Recomputed:
    """Recompute every open case on working time against the calendar as this transaction sees it;
    an `sla_recomputed` event, naming the cause, on each case whose deadlines moved."""
    snapshot = reference_cache.snapshot(session)
    working_keys = {key for (key, _), policy in snapshot.policy_versions.items() if policy.clock is ClockKind.WORKING}
    if not working_keys:
        return Recomputed(0, 0)
    context = deadlines.load_context(session)
    case_ids = session.scalars(
        select(Case.id)
        .where(Case.status.in_(_MEASURED), Case.sla_policy.in_(working_keys))
        .order_by(Case.id)
        .with_for_update()
    ).all()
    moved = overdue = 0
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
            after = (fields["ack_due_at"], fields["report_due_at"])
            if after == before and fields["sla_stage"] == case.sla_stage:
                continue
            deadlines.write_sla_columns(session, [{"case_id": case.id, **fields}])
            # Said out loud, never silent: a deadline the change put in the past.
            now_overdue = _moved_into_past(before, after, now)
            record_event(
                session,
                case,
                EventType.SLA_RECOMPUTED,
                actor=actor,
                occurred_at=now,
                cause=cause,
                reason=reason,
                **details,
                previous_report_due_at=_iso(before[1]),
                report_due_at=_iso(after[1]),
                previous_ack_due_at=_iso(before[0]),
                ack_due_at=_iso(after[0]),
                **({"now_overdue": True} if now_overdue else {}),
            )
            moved += 1
            overdue += now_overdue
    return Recomputed(moved, overdue)


def _moved_into_past(before: Iterable[datetime | None], after: Iterable[datetime | None], now: datetime) -> bool:
    return any(new is not None and new != old and new <= now for old, new in zip(before, after, strict=True))


def _iso(moment: object) -> str | None:
    # Event payloads carry UTC, like every stored time; the API shows them in local time.
    return moment.astimezone(UTC).isoformat() if isinstance(moment, datetime) else None

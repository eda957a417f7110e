"""Deadlines on cases: when the SLA clock starts, pauses, resumes, restarts, or moves with the calendar.

The arithmetic is `sla/` (pure); this module reads what it needs from the database (the case's
policy version, its pauses, the calendar overrides) and writes the results on the case. It runs
inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.cases.milestones import CLOCK_COLUMNS, milestone_clocks
from app.db import write_transaction
from app.models import Case, CaseEvent, SlaPause
from app.reference.cache import reference_cache
from app.reference.government_calendar import cached_calendar
from app.reference.government_calendar import load_calendar as load_calendar
from app.reference.government_calendar import official_table as official_table
from app.settings_access import current_settings
from app.vocabulary import STOPPED_STATUSES, CaseStatus
from sla.calendar import GovernmentCalendar
from sla.clock import Clock, Interval, WallClock, remaining, working_clock
from sla.policy import ClockKind, Policy
from sla.timeline import Stage, Target, Timeline, keep_recorded, nearest_due, next_check, plan, stage


@dataclass(frozen=True)
class SlaContext:
    """The clocks for this moment: the city's time zone, working hours and calendar overrides."""

    tz: ZoneInfo
    hours: tuple[tuple[time, time], ...]
    calendar: GovernmentCalendar

    def clock(self, kind: ClockKind) -> Clock:
        return WallClock() if kind is ClockKind.WALL else working_clock(self.calendar, self.tz, self.hours)


def load_context(
    session: Session, *, tz: ZoneInfo | None = None, hours: tuple[tuple[time, time], ...] | None = None
) -> SlaContext:
    """The context with the overrides as they stand (from this process's cache, app/reference/freshness.py)."""
    if tz is None or hours is None:
        settings = current_settings()
        tz, hours = tz or settings.timezone, hours or settings.working_hours
    return SlaContext(tz=tz, hours=hours, calendar=cached_calendar(session))


def case_policy(session: Session, case: Case) -> Policy | None:
    """The policy version that set this case's deadlines."""
    if case.sla_policy is None or case.sla_policy_version is None:
        return None
    key = (case.sla_policy, case.sla_policy_version)
    policy = reference_cache.snapshot(session).policy_versions.get(key)
    if policy is None and reference_cache.age() > 1.0:
        # A version seeded since this process last looked (e.g. by `flask seed` in another shell).
        reference_cache.clear()
        policy = reference_cache.snapshot(session).policy_versions.get(key)
    return policy


def targets_met(case: Case) -> dict[Target, datetime]:
    """When the agency acknowledged and reported back, where it has."""
    met: dict[Target, datetime] = {}
    acknowledged_at = case.acknowledged_at or case.reported_at
    if acknowledged_at is not None:
        met[Target.ACKNOWLEDGE] = acknowledged_at
    if case.reported_at is not None:
        met[Target.REPORT] = case.reported_at
    return met


def fired_keys(session: Session, case_ids: Iterable[int]) -> dict[int, set[str]]:
    """The SLA milestones already recorded, per case."""
    fired: dict[int, set[str]] = {}
    rows = session.execute(
        select(CaseEvent.case_id, CaseEvent.sla_key).where(
            CaseEvent.case_id.in_(list(case_ids)), CaseEvent.sla_key.is_not(None)
        )
    )
    for case_id, key in rows:
        if key is not None:
            fired.setdefault(case_id, set()).add(key)
    return fired


@dataclass(frozen=True)
class Pauses:
    """A case's finished pauses, and when its current one began if it is waiting now."""

    closed: list[Interval]
    open_since: datetime | None = None


def pauses_of(session: Session, case_ids: Iterable[int]) -> dict[int, Pauses]:
    closed: dict[int, list[Interval]] = {}
    open_since: dict[int, datetime] = {}
    rows = session.execute(
        select(SlaPause.case_id, SlaPause.started_at, SlaPause.ended_at).where(SlaPause.case_id.in_(list(case_ids)))
    )
    for case_id, started_at, ended_at in rows:
        if ended_at is None:
            open_since[case_id] = started_at
        else:
            closed.setdefault(case_id, []).append((started_at, ended_at))
    return {
        case_id: Pauses(closed.get(case_id, []), open_since.get(case_id)) for case_id in set(closed) | set(open_since)
    }


NO_PAUSES = Pauses([])


def sla_fields(
    case: Case, policy: Policy, context: SlaContext, *, now: datetime, pauses: Pauses, fired: set[str]
) -> tuple[Timeline, dict[str, Any], datetime]:
    """The case's timeline, its SLA columns as they should now read, and the moment the clock reads.

    While the case waits for the citizen the clock reads the moment the wait began: only what was
    due before then may still fire, and the stage is the one it had then.
    """
    assert case.sla_started_at is not None
    # An approved extension (展延) lengthens this round's report window on the case's own clock, so it holds
    # through every later recomputation (calendar changes, pauses); start_round drops it.
    policy = policy.with_report_extension(timedelta(seconds=case.report_extension_seconds or 0))
    in_round = [pause for pause in pauses.closed if pause[1] > case.sla_started_at]
    timeline = plan(policy, context.clock(policy.clock), case.sla_started_at, in_round)
    # A breach already recorded stays recorded: that target keeps the deadline it was breached at,
    # whatever the calendar says since.
    stored = {Target.ACKNOWLEDGE: case.ack_due_at, Target.REPORT: case.report_due_at}
    timeline = keep_recorded(
        timeline,
        {
            target: due_at
            for target, due_at in stored.items()
            if due_at is not None and f"{case.sla_round}:{target}:breached" in fired
        },
    )
    met = targets_met(case)
    as_of = min(now, pauses.open_since) if pauses.open_since else now
    reached = stage(timeline, met, as_of)
    upcoming = next_check(timeline, met, fired, case.sla_round)
    fields: dict[str, Any] = {
        "ack_due_at": timeline.ack_due_at,
        "report_due_at": timeline.report_due_at,
        "sla_due_at": nearest_due(timeline, met),
        # Milestones due before a target was met late still fire (the breach stands).
        "next_sla_check_at": upcoming,
        "sla_stage": reached.value,
    }
    if case.status in STOPPED_STATUSES:
        fields.update(sla_stage=Stage.STOPPED.value, sla_due_at=None, next_sla_check_at=None)
    elif pauses.open_since is not None:
        # A case already overdue stays on the breached list while it waits.
        paused = reached if reached in (Stage.BREACHED, Stage.ESCALATED) else Stage.PAUSED
        fields.update(
            sla_stage=paused.value,
            next_sla_check_at=upcoming if upcoming is not None and upcoming <= as_of else None,
        )
    return timeline, fields, as_of


SLA_COLUMNS = ("ack_due_at", "report_due_at", "sla_due_at", "sla_stage", "next_sla_check_at")


def write_sla_columns(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Plain UPDATEs of SLA columns (same columns in every row): the system's bookkeeping, not a
    user's edit, so the case's version does not change and no open form goes stale because a clock
    moved."""
    if not rows:
        return
    table = cast(Table, Case.__table__)
    names = [name for name in rows[0] if name != "case_id"]
    session.execute(
        update(table).where(table.c.id == bindparam("case_id")).values({name: bindparam(name) for name in names}),
        list(rows),
    )


def _store(session: Session, case: Case, fields: dict[str, Any]) -> None:
    if not inspect(case).has_identity:
        # A case being recorded (pending, or built for a Core INSERT): the values go into its INSERT.
        for name, value in fields.items():
            setattr(case, name, value)
        return
    write_sla_columns(session, [{"case_id": case.id, **fields}])
    for name, value in fields.items():
        set_committed_value(case, name, value)


def set_report_extension(session: Session, case: Case, seconds: int) -> None:
    """Record this round's report extension (counting seconds); `refresh` then moves the deadline by it."""
    _store(session, case, {"report_extension_seconds": seconds})


def apply_timeline(
    session: Session,
    case: Case,
    policy: Policy,
    context: SlaContext,
    *,
    now: datetime,
    pauses: Pauses,
    fired: set[str],
    extra: dict[str, Any] | None = None,
) -> Timeline:
    """Set the case's deadlines, stage and next check from its policy, start and closed pauses."""
    timeline, fields, _ = sla_fields(case, policy, context, now=now, pauses=pauses, fired=fired)
    _store(session, case, {**(extra or {}), **fields})
    return timeline


def refresh(session: Session, case: Case, *, now: datetime, context: SlaContext | None = None) -> Timeline | None:
    """Recompute after a change to the case (acknowledged, reported, paused, resumed, stopped)."""
    policy = case_policy(session, case)
    if policy is None:
        return None
    context = context or load_context(session)
    pauses = pauses_of(session, [case.id]).get(case.id, NO_PAUSES)
    return apply_timeline(
        session,
        case,
        policy,
        context,
        now=now,
        pauses=pauses,
        fired=fired_keys(session, [case.id]).get(case.id, set()),
        extra=milestone_clocks(case, policy, context.clock(policy.clock), pauses.closed, targets_met(case)),
    )


def start_round(session: Session, case: Case, *, start: datetime, now: datetime) -> Timeline | None:
    """Give an assigned case the current policy for its category and agency, as a new round of milestones."""
    snapshot = reference_cache.snapshot(session)
    policy = snapshot.policy_book.for_case(
        category=case.category.code,
        agency=case.agency.code if case.agency else None,
        case_type=case.case_type.value,
    )
    round_no = (case.sla_round or 0) + 1
    if inspect(case).has_identity:
        session.flush()  # the case's own changes first, in one UPDATE with its version
    if policy is None:
        _store(
            session,
            case,
            {
                "sla_policy": None,
                "sla_policy_version": None,
                "sla_round": round_no,
                "sla_started_at": None,
                "report_extension_seconds": 0,
            }
            | dict.fromkeys(SLA_COLUMNS)
            | dict.fromkeys(CLOCK_COLUMNS),
        )
        return None
    identity: dict[str, Any] = {
        # A new round measures the agency afresh (a re-route, a reopening, a return by the centre).
        **dict.fromkeys(CLOCK_COLUMNS),
        "sla_policy": policy.key,
        "sla_policy_version": snapshot.current_version[policy.key],
        "sla_round": round_no,
        "sla_started_at": start,
        "report_extension_seconds": 0,
    }
    for name, value in identity.items():
        # A case being recorded takes them in its INSERT; a stored one gets them by a plain UPDATE below.
        if not inspect(case).has_identity:
            setattr(case, name, value)
        else:
            set_committed_value(case, name, value)
    # A new round has recorded no milestones and no pauses yet (a case cannot be assigned or
    # reopened while it waits for the citizen): nothing to read back.
    return apply_timeline(
        session, case, policy, load_context(session), now=now, pauses=NO_PAUSES, fired=set(), extra=identity
    )


BACKFILL_BATCH = 500


def backfill(session: Session, *, now: datetime) -> int:
    """Give deadlines to open cases that went to an agency before the SLA engine existed.

    Their clocks start from `received_at`, like any case's; a batch per transaction.
    """
    started = 0
    while True:
        with write_transaction(session):
            cases = session.scalars(
                select(Case)
                .where(
                    Case.sla_round == 0,
                    Case.agency_id.is_not(None),
                    Case.status.in_([CaseStatus.ASSIGNED, CaseStatus.ACKNOWLEDGED]),
                )
                .order_by(Case.id)
                .limit(BACKFILL_BATCH)
                .with_for_update(of=Case)
            ).all()
            for case in cases:
                start_round(session, case, start=case.received_at, now=now)
        started += len(cases)
        if len(cases) < BACKFILL_BATCH:
            return started


@dataclass(frozen=True)
class SlaStatus:
    """What a person needs to know about a case's deadlines right now."""

    policy_key: str
    policy_version: int
    clock: ClockKind
    round_no: int
    stage: str
    started_at: datetime
    ack_due_at: datetime | None
    report_due_at: datetime
    due_at: datetime | None
    time_left: timedelta | None
    paused_since: datetime | None
    estimated_years: tuple[int, ...] = ()  # years the deadlines run in whose calendar is not yet official


def open_pauses(session: Session, cases: Iterable[Case]) -> dict[int, datetime]:
    """When the open pause of each case waiting for the citizen began, in one query for a list of cases."""
    waiting = [case.id for case in cases if case.status is CaseStatus.WAITING_CITIZEN]
    if not waiting:
        return {}
    rows = session.execute(
        select(SlaPause.case_id, SlaPause.started_at).where(SlaPause.case_id.in_(waiting), SlaPause.ended_at.is_(None))
    )
    return {case_id: started_at for case_id, started_at in rows}


def sla_statuses(session: Session, cases: Sequence[Case], context: SlaContext, now: datetime) -> list[SlaStatus | None]:
    """`sla_status` for each case of a list (a board, a wall), reading the pauses once for all of them."""
    paused = open_pauses(session, cases)
    return [sla_status(session, case, context, now, paused=paused) for case in cases]


def sla_status(
    session: Session, case: Case, context: SlaContext, now: datetime, *, paused: dict[int, datetime] | None = None
) -> SlaStatus | None:
    """The case's deadlines now; `paused` (from `open_pauses`) spares a query per case in a list."""
    policy = case_policy(session, case)
    if policy is None or case.sla_started_at is None or case.report_due_at is None:
        return None
    if paused is None:
        paused = open_pauses(session, [case])
    paused_since = paused.get(case.id) if case.status is CaseStatus.WAITING_CITIZEN else None
    # While paused the clock stands still: the time left is what was left when the pause began.
    measured_at = paused_since or now
    due_at = case.sla_due_at
    time_left = remaining(context.clock(policy.clock), measured_at, due_at) if due_at else None
    return SlaStatus(
        policy_key=policy.key,
        policy_version=case.sla_policy_version or 0,
        clock=policy.clock,
        round_no=case.sla_round,
        stage=case.sla_stage or Stage.ON_TRACK.value,
        started_at=case.sla_started_at,
        ack_due_at=case.ack_due_at,
        report_due_at=case.report_due_at,
        due_at=due_at,
        time_left=time_left,
        paused_since=paused_since,
        estimated_years=estimated_years(context, policy.clock, case.sla_started_at, case.report_due_at),
    )


def estimated_years(context: SlaContext, clock: ClockKind, start: datetime, end: datetime) -> tuple[int, ...]:
    """The years from start to deadline (inclusive) that only the holiday source estimates."""
    if clock is not ClockKind.WORKING:
        return ()
    first, last = start.astimezone(context.tz).year, max(start, end).astimezone(context.tz).year
    return tuple(year for year in range(first, last + 1) if context.calendar.is_estimated(year))

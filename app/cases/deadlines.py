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

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from app.models import CalendarOverride, Case, CaseEvent, SlaPause
from app.reference.cache import reference_cache
from app.settings_access import current_settings
from app.vocabulary import CaseStatus
from sla.calendar import GovernmentCalendar, Override
from sla.clock import Clock, Interval, WallClock, remaining, working_clock
from sla.policy import ClockKind, Policy
from sla.timeline import Stage, Target, Timeline, next_check, plan, stage

REPORTED_OR_LATER = frozenset({CaseStatus.REPORTED, CaseStatus.CLOSED})
STOPPED = frozenset({CaseStatus.MERGED, CaseStatus.CANCELLED})


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
    """The context with the overrides as they stand in this transaction (a handful of rows)."""
    if tz is None or hours is None:
        settings = current_settings()
        tz, hours = tz or settings.timezone, hours or settings.working_hours
    overrides = [Override(row.day, row.working, row.reason) for row in session.scalars(select(CalendarOverride))]
    return SlaContext(tz=tz, hours=hours, calendar=GovernmentCalendar(overrides))


def case_policy(session: Session, case: Case) -> Policy | None:
    """The policy version that set this case's deadlines."""
    if case.sla_policy is None or case.sla_policy_version is None:
        return None
    key = (case.sla_policy, case.sla_policy_version)
    policy = reference_cache.snapshot(session).policy_versions.get(key)
    if policy is None:
        # A version seeded since this process last looked (e.g. by `flask seed` in another shell).
        reference_cache.clear()
        policy = reference_cache.snapshot(session).policy_versions.get(key)
    return policy


def targets_done(case: Case) -> set[Target]:
    done: set[Target] = set()
    if case.acknowledged_at is not None or case.status in REPORTED_OR_LATER:
        done.add(Target.ACKNOWLEDGE)
    if case.reported_at is not None or case.status in REPORTED_OR_LATER:
        done.add(Target.REPORT)
    return done


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


def closed_pauses(session: Session, case_ids: Iterable[int]) -> dict[int, list[Interval]]:
    pauses: dict[int, list[Interval]] = {}
    rows = session.execute(
        select(SlaPause.case_id, SlaPause.started_at, SlaPause.ended_at).where(
            SlaPause.case_id.in_(list(case_ids)), SlaPause.ended_at.is_not(None)
        )
    )
    for case_id, started_at, ended_at in rows:
        if ended_at is not None:
            pauses.setdefault(case_id, []).append((started_at, ended_at))
    return pauses


def sla_fields(
    case: Case, policy: Policy, context: SlaContext, *, now: datetime, pauses: list[Interval], fired: set[str]
) -> tuple[Timeline, dict[str, object]]:
    """The case's timeline, and its SLA columns as they should now read."""
    assert case.sla_started_at is not None
    in_round = [pause for pause in pauses if pause[1] > case.sla_started_at]
    timeline = plan(policy, context.clock(policy.clock), case.sla_started_at, in_round)
    done = targets_done(case)
    fields: dict[str, object] = {
        "ack_due_at": timeline.ack_due_at,
        "report_due_at": timeline.report_due_at,
        "sla_due_at": next(
            (due for target in Target if target not in done and (due := timeline.due_at(target)) is not None), None
        ),
    }
    if case.status in STOPPED:
        fields.update(sla_stage=Stage.STOPPED.value, next_sla_check_at=None)
    elif case.status is CaseStatus.WAITING_CITIZEN:
        fields.update(sla_stage=Stage.PAUSED.value, next_sla_check_at=None)
    else:
        fields.update(
            sla_stage=stage(timeline, done, now).value,
            next_sla_check_at=next_check(timeline, done, fired, case.sla_round),
        )
    return timeline, fields


SLA_COLUMNS = ("ack_due_at", "report_due_at", "sla_due_at", "sla_stage", "next_sla_check_at")


def write_sla_columns(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Plain UPDATEs of SLA columns by the system (sweep, calendar change): not a user's edit, so the
    case's version does not change and nobody's open form goes stale because a clock moved."""
    if not rows:
        return
    table = cast(Table, Case.__table__)
    session.execute(
        update(table).where(table.c.id == bindparam("case_id")).values({name: bindparam(name) for name in SLA_COLUMNS}),
        list(rows),
    )


def apply_timeline(
    case: Case, policy: Policy, context: SlaContext, *, now: datetime, pauses: list[Interval], fired: set[str]
) -> Timeline:
    """Set the case's deadlines, stage and next check from its policy, start and closed pauses."""
    timeline, fields = sla_fields(case, policy, context, now=now, pauses=pauses, fired=fired)
    for name, value in fields.items():
        setattr(case, name, value)
    return timeline


def refresh(session: Session, case: Case, *, now: datetime, context: SlaContext | None = None) -> Timeline | None:
    """Recompute after a change to the case (acknowledged, reported, paused, resumed, stopped)."""
    policy = case_policy(session, case)
    if policy is None:
        return None
    session.flush()  # so the pause rows and events written so far are seen
    return apply_timeline(
        case,
        policy,
        context or load_context(session),
        now=now,
        pauses=closed_pauses(session, [case.id]).get(case.id, []),
        fired=fired_keys(session, [case.id]).get(case.id, set()),
    )


def start_round(session: Session, case: Case, *, start: datetime, now: datetime) -> Timeline | None:
    """Give an assigned case the current policy for its category and agency, as a new round of milestones."""
    snapshot = reference_cache.snapshot(session)
    policy = snapshot.policy_book.for_case(
        category=case.category.code,
        agency=case.agency.code if case.agency else None,
        case_type=case.case_type.value,
    )
    case.sla_round = (case.sla_round or 0) + 1
    if policy is None:
        case.sla_policy = case.sla_policy_version = None
        case.sla_stage = case.next_sla_check_at = case.sla_due_at = None
        case.ack_due_at = case.report_due_at = None
        return None
    case.sla_policy, case.sla_policy_version = policy.key, snapshot.current_version[policy.key]
    case.sla_started_at = start
    # A new round has recorded no milestones and no pauses yet (a case cannot be assigned or
    # reopened while it waits for the citizen): nothing to read back.
    return apply_timeline(case, policy, load_context(session), now=now, pauses=[], fired=set())


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


def sla_status(session: Session, case: Case, context: SlaContext, now: datetime) -> SlaStatus | None:
    policy = case_policy(session, case)
    if policy is None or case.sla_started_at is None or case.report_due_at is None:
        return None
    paused_since = None
    if case.status is CaseStatus.WAITING_CITIZEN:
        paused_since = session.scalar(
            select(SlaPause.started_at).where(SlaPause.case_id == case.id, SlaPause.ended_at.is_(None))
        )
    # While paused the clock stands still: the time left is what was left when the pause began.
    measured_at = paused_since or now
    due_at = case.sla_due_at
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
        time_left=remaining(context.clock(policy.clock), measured_at, due_at) if due_at else None,
        paused_since=paused_since,
    )

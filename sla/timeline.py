"""A case's SLA timeline: its deadlines, the milestones before and after them, and its stage. Pure.

Each milestone has a key that is unique per case — "2:report:breached" is the report-back
breach of the case's second round (a reopened case starts a new round) — and the database
refuses a second event with the same key: that is what makes every milestone fire once.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sla.clock import Clock, Interval, add
from sla.policy import Policy


class Target(enum.StrEnum):
    ACKNOWLEDGE = "ack"
    REPORT = "report"


class MilestoneKind(enum.StrEnum):
    WARNING = "warning"
    BREACHED = "breached"
    ESCALATED = "escalated"


class Stage(enum.StrEnum):
    """Where a case stands against its pending deadlines (worst of them)."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"  # a warning has fired
    BREACHED = "breached"  # 逾期
    ESCALATED = "escalated"
    PAUSED = "paused"  # waiting for the citizen; the clock stands still
    MET = "met"  # reported back in time
    MET_LATE = "met_late"  # reported back after the deadline
    STOPPED = "stopped"  # merged or cancelled: nothing more to measure


_STAGE_OF = {MilestoneKind.WARNING: Stage.AT_RISK, MilestoneKind.BREACHED: Stage.BREACHED}
_SEVERITY = [Stage.ON_TRACK, Stage.AT_RISK, Stage.BREACHED, Stage.ESCALATED]


@dataclass(frozen=True)
class Milestone:
    target: Target
    kind: MilestoneKind
    due_at: datetime
    number: int = 1  # warnings are numbered in the order they fall

    def key(self, round_no: int) -> str:
        suffix = str(self.number) if self.kind is MilestoneKind.WARNING else ""
        return f"{round_no}:{self.target}:{self.kind}{suffix}"

    @property
    def stage(self) -> Stage:
        return _STAGE_OF.get(self.kind, Stage.ESCALATED)


@dataclass(frozen=True)
class Timeline:
    ack_due_at: datetime | None
    report_due_at: datetime
    milestones: tuple[Milestone, ...]  # in the order they fall

    def due_at(self, target: Target) -> datetime | None:
        return self.ack_due_at if target is Target.ACKNOWLEDGE else self.report_due_at


def _target_milestones(
    policy: Policy, clock: Clock, target: Target, window: timedelta, start: datetime, pauses: Sequence[Interval]
) -> list[Milestone]:
    offsets = sorted({offset for point in policy.warnings if (offset := point.offset(window)) is not None})
    milestones = [
        Milestone(target, MilestoneKind.WARNING, add(clock, start, offset, pauses), number)
        for number, offset in enumerate(offsets, start=1)
    ]
    deadline = add(clock, start, window, pauses)
    milestones.append(Milestone(target, MilestoneKind.BREACHED, deadline))
    escalation = add(clock, deadline, policy.escalate_after, pauses) if policy.escalate_after else deadline
    milestones.append(Milestone(target, MilestoneKind.ESCALATED, escalation))
    return milestones


def plan(policy: Policy, clock: Clock, start: datetime, pauses: Sequence[Interval] = ()) -> Timeline:
    """Deadlines and milestones for a case whose clock started at `start`, less its pauses."""
    milestones: list[Milestone] = []
    ack_due_at = None
    if policy.acknowledge_within is not None:
        ack = _target_milestones(policy, clock, Target.ACKNOWLEDGE, policy.acknowledge_within, start, pauses)
        ack_due_at = next(m.due_at for m in ack if m.kind is MilestoneKind.BREACHED)
        milestones.extend(ack)
    report = _target_milestones(policy, clock, Target.REPORT, policy.report_within, start, pauses)
    milestones.extend(report)
    report_due_at = next(m.due_at for m in report if m.kind is MilestoneKind.BREACHED)
    milestones.sort(key=lambda milestone: (milestone.due_at, milestone.target != Target.ACKNOWLEDGE))
    return Timeline(ack_due_at, report_due_at, tuple(milestones))


def keep_recorded(timeline: Timeline, breached_at: Mapping[Target, datetime]) -> Timeline:
    """The timeline with each target in `breached_at` due when it was breached: a breach on record
    is history, which no later change of calendar moves."""
    if not breached_at:
        return timeline
    milestones = tuple(
        replace(milestone, due_at=breached_at[milestone.target])
        if milestone.target in breached_at and milestone.kind is MilestoneKind.BREACHED
        else milestone
        for milestone in timeline.milestones
    )
    return Timeline(
        breached_at.get(Target.ACKNOWLEDGE, timeline.ack_due_at),
        breached_at.get(Target.REPORT, timeline.report_due_at),
        tuple(sorted(milestones, key=lambda milestone: (milestone.due_at, milestone.target != Target.ACKNOWLEDGE))),
    )


Met = Mapping[Target, datetime]  # when each target was met (acknowledged, reported back)


def pending(timeline: Timeline, met: Met) -> list[Milestone]:
    """Milestones still to record: all of an unmet target's; of a target met late, only its breach.

    A report back at 05:00 on a deadline of 03:50 was still a breach, even if no sweep ran
    in between; its warnings and escalation, on the other hand, can no longer serve anyone.
    """
    result = []
    for milestone in timeline.milestones:
        met_at = met.get(milestone.target)
        if met_at is None or (milestone.kind is MilestoneKind.BREACHED and milestone.due_at < met_at):
            result.append(milestone)
    return result


def due(timeline: Timeline, met: Met, now: datetime) -> list[Milestone]:
    """Milestones that should have fired by `now`, however late the sweep that finds them."""
    return [milestone for milestone in pending(timeline, met) if milestone.due_at <= now]


def next_check(timeline: Timeline, met: Met, fired: Collection[str], round_no: int) -> datetime | None:
    """When the sweep must look at the case again: its first pending milestone not yet recorded.

    That may be in the past (a case recorded late, a clock resumed): the next sweep then fires it.
    """
    unfired = [m.due_at for m in pending(timeline, met) if m.key(round_no) not in fired]
    return min(unfired, default=None)


def stage(timeline: Timeline, met: Met, now: datetime) -> Stage:
    """The worst stage among unmet targets at `now`; once reported, whether it was in time."""
    reported_at = met.get(Target.REPORT)
    if reported_at is not None:
        return Stage.MET if reported_at <= timeline.report_due_at else Stage.MET_LATE
    reached = [m.stage for m in due(timeline, met, now) if m.target not in met]
    return max(reached, key=_SEVERITY.index, default=Stage.ON_TRACK)


def nearest_due(timeline: Timeline, met: Met) -> datetime | None:
    """The deadline that matters now: acknowledgement until it is given, then the report back."""
    for target in (Target.ACKNOWLEDGE, Target.REPORT):
        due_at = timeline.due_at(target)
        if target not in met and due_at is not None:
            return due_at
    return None

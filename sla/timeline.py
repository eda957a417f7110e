"""A case's SLA timeline: its deadlines, the milestones before and after them, and its stage. Pure.

Each milestone has a key that is unique per case — "2:report:breached" is the report-back
breach of the case's second round (a reopened case starts a new round) — and the database
refuses a second event with the same key: that is what makes every milestone fire once.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sla.clock import Clock, Interval, add, remaining
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
    MET = "met"  # reported back: nothing pending
    STOPPED = "stopped"  # merged or cancelled: nothing more to measure


_STAGE_OF = {MilestoneKind.WARNING: Stage.AT_RISK, MilestoneKind.BREACHED: Stage.BREACHED}
_SEVERITY = [Stage.ON_TRACK, Stage.AT_RISK, Stage.BREACHED, Stage.ESCALATED]
EVENT_TYPES = {
    MilestoneKind.WARNING: "sla_warning",
    MilestoneKind.BREACHED: "sla_breached",
    MilestoneKind.ESCALATED: "sla_escalated",
}


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


def pending(timeline: Timeline, done: Collection[Target]) -> list[Milestone]:
    """Milestones of targets not yet met, in order."""
    return [milestone for milestone in timeline.milestones if milestone.target not in done]


def due(timeline: Timeline, done: Collection[Target], now: datetime) -> list[Milestone]:
    """Milestones that should have fired by `now`, however late the sweep that finds them."""
    return [milestone for milestone in pending(timeline, done) if milestone.due_at <= now]


def next_check(timeline: Timeline, done: Collection[Target], fired: Collection[str], round_no: int) -> datetime | None:
    """When the sweep must look at the case again: its first pending milestone not yet recorded.

    That may be in the past (a case recorded late, a clock resumed): the next sweep then fires it.
    """
    unfired = [m.due_at for m in pending(timeline, done) if m.key(round_no) not in fired]
    return min(unfired, default=None)


def stage(timeline: Timeline, done: Collection[Target], now: datetime) -> Stage:
    """The worst stage among pending targets at `now`."""
    if Target.REPORT in done:
        return Stage.MET
    reached = [milestone.stage for milestone in due(timeline, done, now)]
    return max(reached, key=_SEVERITY.index, default=Stage.ON_TRACK)


def nearest_due(timeline: Timeline, done: Collection[Target]) -> datetime | None:
    """The deadline that matters now: acknowledgement until it is given, then the report back."""
    for target in (Target.ACKNOWLEDGE, Target.REPORT):
        due_at = timeline.due_at(target)
        if target not in done and due_at is not None:
            return due_at
    return None


def time_left(clock: Clock, now: datetime, deadline: datetime) -> timedelta:
    """Counting time to the deadline on the case's clock; negative once it has passed."""
    return remaining(clock, now, deadline)

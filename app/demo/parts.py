"""The pieces a generated case is made of: who acts, the agency, a round's rules, and deadline plans."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from dispatch.ladder import LadderPolicy
from sla.clock import Clock, Interval, WallClock
from sla.policy import Policy
from sla.timeline import Timeline
from sla.timeline import plan as plan_timeline


@dataclass(frozen=True)
class Person:
    """Who does a step: the user's id and the payload's actor and role."""

    user_id: int | None
    username: str
    role: str


@dataclass(frozen=True)
class AgencyRef:
    id: int
    code: str
    duty_phones: tuple[str, ...]
    supervisor_phones: tuple[str, ...]
    sms_skipped: tuple[tuple[str, str], ...]  # (phone, reason) of duty phones that take no SMS


@dataclass(frozen=True)
class RoundRules:
    """What a new round gets: the current policy version and, for an urgent case, ladder."""

    policy: Policy | None
    version: int | None
    clock: Clock | None
    ladder: LadderPolicy | None
    ladder_version: int | None


_WALL_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)
_wall_plans: dict[Policy, Timeline] = {}


def plan(policy: Policy, clock: Clock, start: datetime, pauses: list[Interval]) -> Timeline:
    """`sla.timeline.plan`; on the wall clock without pauses, one plan per policy moved to `start`
    (an hour is an hour there, so the plan of any start is the plan of another, shifted)."""
    if pauses or not isinstance(clock, WallClock):
        return plan_timeline(policy, clock, start, pauses)
    template = _wall_plans.get(policy)
    if template is None:
        template = _wall_plans[policy] = plan_timeline(policy, clock, _WALL_ORIGIN)
    shift = start - _WALL_ORIGIN
    return Timeline(
        template.ack_due_at + shift if template.ack_due_at else None,
        template.report_due_at + shift,
        tuple(replace(milestone, due_at=milestone.due_at + shift) for milestone in template.milestones),
    )

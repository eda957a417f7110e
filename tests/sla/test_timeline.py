"""A case's SLA timeline: warnings before the deadline, breach and escalation after, stage at any moment."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sla.calendar import GovernmentCalendar
from sla.clock import WallClock, WorkingClock
from sla.policy import ClockKind, Policy, WarningPoint
from sla.timeline import MilestoneKind, Stage, Target, due, next_check, plan, stage

TZ = ZoneInfo("Asia/Taipei")
FALLEN_TREE = Policy(
    category="fallen_tree",
    agency=None,
    clock=ClockKind.WALL,
    acknowledge_within=timedelta(minutes=15),
    report_within=timedelta(hours=4),
    warnings=(WarningPoint(fraction=0.75), WarningPoint(before=timedelta(minutes=30))),
)
RECEIVED = datetime(2025, 3, 3, 23, 50, tzinfo=TZ)


def test_a_fallen_tree_gets_its_deadlines_and_milestones_in_order() -> None:
    timeline = plan(FALLEN_TREE, WallClock(), RECEIVED)
    assert timeline.ack_due_at == RECEIVED + timedelta(minutes=15)
    assert timeline.report_due_at == datetime(2025, 3, 4, 3, 50, tzinfo=TZ)
    keys = [milestone.key(1) for milestone in timeline.milestones]
    # "30 minutes before" does not apply to a 15-minute acknowledgement window.
    assert keys == [
        "1:ack:warning1",
        "1:ack:breached",
        "1:ack:escalated",
        "1:report:warning1",
        "1:report:warning2",
        "1:report:breached",
        "1:report:escalated",
    ]
    assert [m.due_at - RECEIVED for m in timeline.milestones if m.target is Target.REPORT][:2] == [
        timedelta(hours=3),
        timedelta(hours=3, minutes=30),
    ]


def test_a_late_sweep_finds_every_missed_milestone_with_its_own_time() -> None:
    timeline = plan(FALLEN_TREE, WallClock(), RECEIVED)
    six_am = datetime(2025, 3, 4, 6, 0, tzinfo=TZ)
    acked = {Target.ACKNOWLEDGE: RECEIVED + timedelta(minutes=5)}
    missed = due(timeline, acked, now=six_am)
    assert [(m.kind, m.due_at.astimezone(TZ).strftime("%H:%M")) for m in missed] == [
        (MilestoneKind.WARNING, "02:50"),
        (MilestoneKind.WARNING, "03:20"),
        (MilestoneKind.BREACHED, "03:50"),
        (MilestoneKind.ESCALATED, "03:50"),
    ]
    fired = {milestone.key(1) for milestone in missed}
    assert next_check(timeline, acked, fired, 1) is None
    assert next_check(timeline, acked, set(), 1) == datetime(2025, 3, 4, 2, 50, tzinfo=TZ)
    assert stage(timeline, acked, six_am) is Stage.ESCALATED


def test_acknowledging_stops_the_acknowledgement_milestones_only() -> None:
    timeline = plan(FALLEN_TREE, WallClock(), RECEIVED)
    acked = {Target.ACKNOWLEDGE: RECEIVED + timedelta(minutes=5)}
    assert next_check(timeline, acked, set(), 1) == RECEIVED + timedelta(hours=3)
    assert next_check(timeline, {}, set(), 1) == RECEIVED + timedelta(minutes=15) * 0.75
    # A milestone of an earlier round does not count for this one.
    assert next_check(timeline, {}, {"1:ack:warning1"}, 2) == RECEIVED + timedelta(minutes=15) * 0.75
    assert next_check(timeline, {}, {"1:ack:warning1"}, 1) == RECEIVED + timedelta(minutes=15)
    assert stage(timeline, {}, RECEIVED + timedelta(minutes=20)) is Stage.ESCALATED
    assert stage(timeline, acked, RECEIVED + timedelta(minutes=20)) is Stage.ON_TRACK
    reported = {**acked, Target.REPORT: RECEIVED + timedelta(hours=1)}
    assert stage(timeline, reported, RECEIVED + timedelta(days=1)) is Stage.MET


def test_a_target_met_late_still_records_its_breach_but_nothing_else() -> None:
    timeline = plan(FALLEN_TREE, WallClock(), RECEIVED)
    # Acknowledged after 20 minutes and reported after 5 hours, and no sweep ran in between.
    met = {Target.ACKNOWLEDGE: RECEIVED + timedelta(minutes=20), Target.REPORT: RECEIVED + timedelta(hours=5)}
    later = RECEIVED + timedelta(hours=6)
    assert [m.key(1) for m in due(timeline, met, later)] == ["1:ack:breached", "1:report:breached"]
    assert stage(timeline, met, later) is Stage.MET_LATE
    assert next_check(timeline, met, {"1:ack:breached", "1:report:breached"}, 1) is None


def test_a_petition_warns_in_working_hours_never_at_night() -> None:
    petition = Policy(
        category="type:petition",
        agency=None,
        clock=ClockKind.WORKING,
        acknowledge_within=None,
        report_within=timedelta(hours=48),
        warnings=(WarningPoint(fraction=0.75), WarningPoint(before=timedelta(hours=8))),
        escalate_after=timedelta(hours=4),
    )
    clock = WorkingClock(GovernmentCalendar(), TZ)
    timeline = plan(petition, clock, datetime(2025, 3, 3, 17, 0, tzinfo=TZ))
    assert timeline.ack_due_at is None
    for milestone in timeline.milestones:
        local = milestone.due_at.astimezone(TZ)
        assert local.weekday() < 5 and "08:30" <= local.strftime("%H:%M") <= "17:30", milestone
    escalation = timeline.milestones[-1]
    assert escalation.kind is MilestoneKind.ESCALATED
    assert escalation.due_at.astimezone(TZ) == datetime(2025, 3, 12, 12, 0, tzinfo=TZ)

"""The case's own clock read at its milestones, for the monthly report to aggregate in SQL.

Working time is hard to compute in SQL, so it is computed once, by the SLA engine, at the moment a
milestone happens, and stored on the case (migration 0013).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from app.models import Case
from sla.clock import Clock, Interval, elapsed
from sla.policy import Policy
from sla.timeline import Target

CLOCK_COLUMNS = ("ack_clock_seconds", "ack_window_seconds", "report_clock_seconds", "report_window_seconds")


def milestone_clocks(
    case: Case,
    policy: Policy,
    clock: Clock,
    pauses: Sequence[Interval],
    met: Mapping[Target, datetime],
) -> dict[str, int | None]:
    """The clock at each milestone reached in this round (set once), and the window it was held to."""
    start = case.sla_started_at
    if start is None:
        return {}
    return measure(
        policy,
        clock,
        start,
        pauses,
        acknowledged_at=met.get(Target.ACKNOWLEDGE) if case.ack_clock_seconds is None else None,
        reported_at=met.get(Target.REPORT) if case.report_clock_seconds is None else None,
        extension_seconds=case.report_extension_seconds or 0,
    )


def measure(
    policy: Policy,
    clock: Clock,
    start: datetime,
    pauses: Sequence[Interval],
    *,
    acknowledged_at: datetime | None,
    reported_at: datetime | None,
    extension_seconds: int,
) -> dict[str, int | None]:
    """The clock columns for the milestones given (None: not to be measured), as stored on the case.

    Measured from the round's start (a re-routed case from when the new agency got it), on the
    policy's clock (working time for petitions), waits for the citizen left out; the report window
    is lengthened by the extensions approved in this round. The demo generator and its check call
    this too, so the three cannot measure differently.
    """
    in_round = [pause for pause in pauses if pause[1] > start]
    fields: dict[str, int | None] = {}
    if acknowledged_at is not None:
        fields["ack_clock_seconds"] = _seconds(elapsed(clock, start, acknowledged_at, in_round))
        window = policy.acknowledge_within
        fields["ack_window_seconds"] = None if window is None else _seconds(window)
    if reported_at is not None:
        fields["report_clock_seconds"] = _seconds(elapsed(clock, start, reported_at, in_round))
        fields["report_window_seconds"] = _seconds(policy.report_within + timedelta(seconds=extension_seconds))
    return fields


def _seconds(duration: timedelta) -> int:
    # Rounded up: a deadline missed by half a second is missed.
    return math.ceil(duration.total_seconds())

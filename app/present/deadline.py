"""A case's deadlines (its SLA status) as every audience sees them: the same for all roles."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from app.cases.deadlines import SlaStatus
from app.present.times import local_iso


def sla_view(status: SlaStatus | None, tz: ZoneInfo) -> dict[str, Any] | None:
    if status is None:
        return None
    return {
        "policy": status.policy_key,
        "policy_version": status.policy_version,
        "clock": status.clock.value,
        "round": status.round_no,
        "stage": status.stage,
        "started_at": local_iso(status.started_at, tz),
        "ack_due_at": local_iso(status.ack_due_at, tz),
        "report_due_at": local_iso(status.report_due_at, tz),
        "due_at": local_iso(status.due_at, tz),
        "time_left_seconds": None if status.time_left is None else int(status.time_left.total_seconds()),
        "paused_since": local_iso(status.paused_since, tz),
        # The deadlines run in a year whose official calendar is not imported yet: they may still move.
        "calendar_estimated": bool(status.estimated_years),
        "estimated_years": list(status.estimated_years),
    }

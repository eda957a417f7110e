"""A case's deadline, notifications and calls in words (zh-TW or English), for the case page and the wall."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from app.cases.deadlines import SlaStatus
from app.models import Call, Notification
from app.present.audience import View
from app.present.call import call_view
from app.present.notification import notification_view
from app.present.times import roc_datetime
from app.web.casepage.words import coded, duration_text, phone_text
from app.web.labels import label

# Deadlines ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """A case's clock in words: its state (also a CSS class), the time left or past, and the due times."""

    state: str  # on_track, at_risk, breached, escalated, paused, met, met_late, stopped
    state_words: str
    time_left: str  # "2 小時 5 分後到期" / "已逾期 40 分"
    pending: str  # what is due next: acknowledgement or report back
    ack_due: str
    report_due: str
    due_iso: str | None
    clock: str
    paused_since: str
    estimated: str = ""  # said when a deadline falls in a year whose official calendar is not out yet


_PASSED_STAGES = {"on_track", "at_risk"}


def deadline_words(status: SlaStatus | None, *, acknowledged: bool, tz: ZoneInfo) -> Deadline | None:
    """None when the case is on no clock (in triage, or answered on the line)."""
    if status is None:
        return None
    state = status.stage
    seconds = int(status.time_left.total_seconds()) if status.time_left is not None else None
    if seconds is not None and seconds < 0 and state in _PASSED_STAGES:
        state = "breached"  # the sweep records it within 30 s; the page need not wait to say so
    if seconds is None or state in {"met", "met_late", "stopped"}:
        left = ""
    elif seconds < 0:
        left = label("deadline.overdue_by", duration=duration_text(seconds))
    elif status.paused_since is not None:
        left = label("deadline.left_when_paused", duration=duration_text(seconds))
    else:
        left = label("deadline.left", duration=duration_text(seconds))
    pending = "ack" if not acknowledged and status.ack_due_at is not None else "report"
    return Deadline(
        state=state,
        state_words=coded("sla_stage", state),
        time_left=left,
        pending=coded("deadline.target", pending),
        ack_due=roc_datetime(status.ack_due_at, tz),
        report_due=roc_datetime(status.report_due_at, tz),
        due_iso=status.due_at.astimezone(tz).isoformat() if status.due_at else None,
        clock=coded("clock", status.clock.value),
        paused_since=roc_datetime(status.paused_since, tz),
        estimated=label("deadline.estimated", years="、".join(str(year - 1911) for year in status.estimated_years))
        if status.estimated_years
        else "",
    )


# Notifications and calls -------------------------------------------------------------------------------


def notification_row(row: Notification, view: View, tz: ZoneInfo) -> dict[str, Any]:
    """A notification as the page lists it: its kind, channel and delivery state in words."""
    shown = notification_view(row, view, tz)
    return {
        **shown,
        "kind_words": coded("notification_kind", shown["kind"]),
        "channel_words": coded("notification_channel", shown["channel"]),
        "status_words": coded("notification_status", shown["status"]),
        "recipient_words": " ".join(filter(None, (shown.get("recipient_name"), phone_text(shown["recipient"])))),
        "created": roc_datetime(row.created_at, tz),
        "sent": roc_datetime(row.sent_at, tz),
        "delivered": roc_datetime(row.delivered_at, tz),
    }


def call_row(call: Call, view: View, tz: ZoneInfo) -> dict[str, Any]:
    """A call as the page lists it: when, how, how it ended, by whom, the caller (masked for masked views)."""
    shown = call_view(call, view, tz)
    caller = phone_text(shown["caller_phone"]) or shown["caller_as_given"] or label("call.caller_unknown")
    seconds = shown["duration_seconds"]
    return {
        **shown,
        "started": roc_datetime(call.started_at, tz),
        "channel_words": coded("channel", shown["channel"]),
        "outcome_words": coded("call_outcome", shown["outcome"]) if shown["outcome"] else label("call.in_progress"),
        "caller_words": caller,
        "duration": duration_text(seconds) if seconds is not None else "",
    }

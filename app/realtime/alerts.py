"""Which `alert` an event raises, and for which room: derived from the event and its case. Pure.

Every console alert answers to an event the live feed already pushes in order, so the feed raises
it right after that event (app/realtime/feed.py). Its `alert_id` is the event's id: the same in
every web process, so a console that hears it twice (after reconnecting to another process) shows
it once. Alerts are raised for live pushes only, never in a replay: a console that was away learns
of the cases still waiting from the case list instead (console-alerts.js derives them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.vocabulary import AlertKind, CaseStatus, EventType, Room
from dispatch.ladder import Rung
from sla.timeline import Target
from sla.wording import overdue_text

# An alert for an event pushed this long after it was recorded (a transaction that committed very
# late) is not raised: the consoles' own list of waiting cases shows the case, a stale siren misleads.
ALERT_TTL = timedelta(minutes=15)


# The event types that may raise an alert; the feed looks at no other.
ALERTING_EVENTS = frozenset(
    {
        EventType.CASE_ASSIGNED,
        EventType.CASE_REOPENED,
        EventType.ALERT_ESCALATED,
        EventType.SLA_ESCALATED,
        EventType.ALERT_DEAD,
    }
)


@dataclass(frozen=True)
class AlertCase:
    """The case as the feed reads it when it pushes the event (reference codes and names resolved)."""

    case_no: str
    status: str
    agency: str | None
    category: str | None
    category_name_zh: str
    district: str | None
    district_name_zh: str | None
    address: str | None


@dataclass(frozen=True)
class AlertEvent:
    id: int
    type: str
    payload: Mapping[str, Any]
    agency: str | None  # the agency that may see the event: the case's, after it
    recorded_at: datetime


@dataclass(frozen=True)
class Alert:
    room: str
    message: dict[str, Any]


def alerts_for(event: AlertEvent, case: AlertCase, *, tz: ZoneInfo, now: datetime) -> list[Alert]:
    """The alerts one pushed event raises: none for most events, at most one room each."""
    if event.type not in ALERTING_EVENTS or now - event.recorded_at > ALERT_TTL:
        return []
    payload = event.payload
    if event.type == EventType.CASE_ASSIGNED:
        # Written by the same services that send the duty phones their SMS (dispatch/alerts.py
        # alert_on_dispatch): a first assignment or a move to another agency, not a re-assignment
        # to the agency that already has the case.
        agency = payload.get("agency") or event.agency
        if not agency or payload.get("previous_agency") == agency:
            return []
        return [_alert(event, AlertKind.DISPATCH_ALERT, Room.agency(agency), _summary(case, agency, "dispatched"))]
    if event.type == EventType.CASE_REOPENED:
        if not event.agency:
            return []  # reopened for triage: no agency to tell
        return [
            _alert(
                event, AlertKind.DISPATCH_ALERT, Room.agency(event.agency), _summary(case, event.agency, "dispatched")
            )
        ]
    if event.type == EventType.ALERT_ESCALATED:
        agency = payload.get("agency") or event.agency
        # The ladder's second rung calls the agency's supervisors and tells the centre's; once the case
        # is acknowledged or moved on, the step is history, not news (as the outbox cancelled it).
        waiting = case.status == CaseStatus.ASSIGNED and case.agency == agency
        if payload.get("rung") != Rung.CALL_SUPERVISOR or not waiting:
            return []
        fields = {**_summary(case, agency, "unacknowledged"), "step": payload.get("step")}
        return [_alert(event, AlertKind.SUPERVISORS_ALERT, Room.SUPERVISORS, fields)]
    if event.type == EventType.SLA_ESCALATED:
        return [_alert(event, AlertKind.SLA_ESCALATION_ALERT, Room.SUPERVISORS, _sla_fields(event, case, tz))]
    # alert_dead: recorded only for an urgent case's alert that could not be delivered.
    fields = {
        **_summary(case, event.agency, "alert_dead"),
        "recipient": payload.get("recipient"),
        "reason": payload.get("reason"),
    }
    return [_alert(event, AlertKind.DEAD_ALERT, Room.SUPERVISORS, fields)]


def _summary(case: AlertCase, agency: str | None, what: str) -> dict[str, Any]:
    return {
        "event": what,
        "case_no": case.case_no,
        "category": case.category,
        "district": case.district,
        "agency": agency,
        "address": case.address,
    }


def _sla_fields(event: AlertEvent, case: AlertCase, tz: ZoneInfo) -> dict[str, Any]:
    """The same sentence the agency's supervisors get by SMS (sla/sweep.py), and its parts."""
    deadline = event.payload.get("deadline")
    target = Target(event.payload.get("target", Target.ACKNOWLEDGE))
    text = overdue_text(
        case_no=case.case_no,
        category_name_zh=case.category_name_zh,
        place=case.district_name_zh,
        target=target,
        deadline=datetime.fromisoformat(deadline) if deadline else None,
        tz=tz,
    )
    agency = event.payload.get("agency", event.agency)
    return {"case_no": case.case_no, "target": target.value, "agency": agency, "deadline": deadline, "text": text}


def _alert(event: AlertEvent, kind: AlertKind, room: str, fields: dict[str, Any]) -> Alert:
    return Alert(room=room, message={**fields, "alert_id": event.id, "kind": kind})

"""An event of the audit trail as each audience sees it: in the API's timeline and in a live push."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from zoneinfo import ZoneInfo

from app.models import Case, CaseEvent
from app.present import audience
from app.present.audience import View
from app.present.case import case_summary
from app.present.times import local_iso
from app.reference.names import ReferenceNames


def event_view(
    event: CaseEvent, case_no: str, view: View, tz: ZoneInfo, hidden: Collection[str] = ()
) -> dict[str, Any]:
    """One entry of a case's timeline in the API; `hidden`: case numbers this viewer may not see."""
    return {
        "id": event.id,
        "case_no": case_no,
        "event_type": event.event_type,
        "actor": event.payload.get("actor"),
        "occurred_at": local_iso(event.occurred_at, tz),
        "recorded_at": local_iso(event.recorded_at, tz),
        "payload": audience.payload(event.payload, view, hidden),
    }


def event_message(
    event: CaseEvent,
    case: Case,
    view: View,
    names: ReferenceNames,
    tz: ZoneInfo,
    *,
    late: bool = False,
    hidden: Collection[str] = (),
) -> dict[str, Any]:
    """One pushed `event` message; the payload is masked exactly as in the API's timeline."""
    message: dict[str, Any] = {
        "id": event.id,
        "type": event.event_type,
        "case_no": case.case_no,
        "actor": event.payload.get("actor"),
        "occurred_at": local_iso(event.occurred_at, tz),
        "recorded_at": local_iso(event.recorded_at, tz),
        "agency": names.agency_code(event.agency_id),
        "left_agency": names.agency_code(event.left_agency_id),
        "case": case_summary(case, view, names, tz),
        "payload": audience.payload(event.payload, view, hidden),
    }
    if late:
        message["late"] = True  # committed after later events had been pushed: insert it by id
    return message

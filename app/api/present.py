"""Cases and events as the API shows them: local times, codes, and the actor's view of the reporter."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.cases.actors import Actor, may_see, visible_reporter
from app.cases.deadlines import SlaStatus
from app.models import Agency, Case, CaseEvent, Category

_TIMES = (
    "received_at",
    "created_at",
    "updated_at",
    "assigned_at",
    "acknowledged_at",
    "reported_at",
    "closed_at",
    "reopened_at",
    "merged_at",
    "cancelled_at",
)


def local_iso(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return moment.astimezone(tz).isoformat() if moment else None


def case_view(case: Case, actor: Actor, tz: ZoneInfo) -> dict[str, Any]:
    reporter_name, reporter_phone = visible_reporter(actor, case)
    view: dict[str, Any] = {
        "case_no": case.case_no,
        "case_type": case.case_type.value,
        "channel": case.channel.value,
        "status": case.status.value,
        "category": case.category.code,
        "district": case.district.code if case.district else None,
        "agency": case.agency.code if case.agency else None,
        "address": case.address,
        "latitude": case.latitude,
        "longitude": case.longitude,
        "description": case.description,
        "reporter_name": reporter_name,
        "reporter_phone": reporter_phone,
        "anonymous": case.anonymous,
        "wants_sms_reply": case.wants_sms_reply,
        "resolution": case.resolution,
        "report_text": case.report_text,
        "parent_case_no": _parent_case_no(case, actor),
        "version": case.version,
    }
    view.update({name: local_iso(getattr(case, name), tz) for name in _TIMES})
    return view


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
    }


def _parent_case_no(case: Case, actor: Actor) -> str | None:
    parent = case.parent_case if case.parent_case_id else None
    return parent.case_no if parent is not None and may_see(actor, parent) else None


def event_view(
    event: CaseEvent, case_no: str, tz: ZoneInfo, hidden: set[str] | frozenset[str] = frozenset()
) -> dict[str, Any]:
    """`hidden`: case numbers this viewer may not see; they are blanked from the payload."""
    payload = {
        key: (None if isinstance(value, str) and value in hidden else value)
        for key, value in event.payload.items()
        if key not in ("actor", "role")
    }
    return {
        "id": event.id,
        "case_no": case_no,
        "event_type": event.event_type,
        "actor": event.payload.get("actor"),
        "occurred_at": local_iso(event.occurred_at, tz),
        "recorded_at": local_iso(event.recorded_at, tz),
        "payload": payload,
    }


def category_view(category: Category) -> dict[str, Any]:
    return {
        "code": category.code,
        "name_zh": category.name_zh,
        "name_en": category.name_en,
        "case_type": category.case_type.value,
        "default_agency": category.default_agency.code if category.default_agency else None,
        "urgent": category.urgent,
    }


def agency_view(agency: Agency) -> dict[str, Any]:
    return {
        "code": agency.code,
        "name_zh": agency.name_zh,
        "name_en": agency.name_en,
        "district": agency.district.code if agency.district else None,
    }

"""A case as each audience sees it: in full through the API, as a summary in a pushed event."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from app.access import Actor, may_see
from app.models import Case
from app.present import audience
from app.present.audience import View
from app.present.times import local_iso
from app.reference.names import ReferenceNames

DESCRIPTION_CHARS = 200  # a summary, not the case: the console opens the case for the rest

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


def case_view(case: Case, actor: Actor, tz: ZoneInfo) -> dict[str, Any]:
    """The whole case, as the API returns it to this actor."""
    return _shown(
        case,
        audience.view_of(actor),
        tz,
        category=case.category.code,
        district=case.district.code if case.district else None,
        agency=case.agency.code if case.agency else None,
        parent_case_no=_parent_case_no(case, actor),
    )


def case_line_view(line: Any, actor: Actor, view: View, tz: ZoneInfo) -> dict[str, Any]:
    """`case_view` of a queries.CASE_LINE row: the same fields and values, without loading the ORM object."""
    parent_visible = line.parent_case_no is not None and (
        not actor.is_agency or line.parent_agency_id == actor.agency_id
    )
    return _shown(
        line,
        view,
        tz,
        category=line.category_code,
        district=line.district_code,
        agency=line.agency_code,
        parent_case_no=line.parent_case_no if parent_visible else None,
    )


def _shown(
    case: Any, view: View, tz: ZoneInfo, *, category: str, district: str | None, agency: str | None,
    parent_case_no: str | None,
) -> dict[str, Any]:  # fmt: skip
    """The fields of a case (an ORM object, or a row under the case's column names), its related codes given."""
    reporter_name, reporter_phone = audience.reporter(case, view)
    shown: dict[str, Any] = {
        "case_no": case.case_no,
        "case_type": case.case_type.value,
        "channel": case.channel.value,
        "status": case.status.value,
        "category": category,
        "district": district,
        "agency": agency,
        "address": case.address,
        "latitude": case.latitude,
        "longitude": case.longitude,
        "description": audience.text(case.description, view),
        "reporter_name": reporter_name,
        "reporter_phone": reporter_phone,
        "anonymous": case.anonymous,
        "wants_sms_reply": case.wants_sms_reply,
        "resolution": audience.text(case.resolution, view),
        "report_text": audience.text(case.report_text, view),
        "report_outcome": case.report_outcome,
        "parent_case_no": parent_case_no,
        "report_count": case.report_count,
        "version": case.version,
    }
    shown.update({name: local_iso(getattr(case, name), tz) for name in _TIMES})
    return shown


def _parent_case_no(case: Case, actor: Actor) -> str | None:
    parent = case.parent_case if case.parent_case_id else None
    return parent.case_no if parent is not None and may_see(actor, parent) else None


def case_summary(case: Case, view: View, names: ReferenceNames, tz: ZoneInfo) -> dict[str, Any]:
    """What a pushed event says of its case: enough for a console row, with names from the snapshot."""
    category = names.categories.get(case.category_id)
    district = names.districts.get(case.district_id) if case.district_id is not None else None
    reporter_name, reporter_phone = audience.reporter(case, view)
    description = audience.text(case.description or "", view) or ""
    return {
        "case_no": case.case_no,
        "case_type": case.case_type.value,
        "status": case.status.value,
        "category": category.code if category else None,
        "category_name_zh": category.name_zh if category else None,
        "category_name_en": category.name_en if category else None,
        "urgent": bool(category.urgent) if category else False,
        "district": district.code if district else None,
        "district_name_zh": district.name_zh if district else None,
        "agency": names.agency_code(case.agency_id),
        "address": case.address,
        "description": description[:DESCRIPTION_CHARS],
        "reporter_name": reporter_name,
        "reporter_phone": reporter_phone,
        "anonymous": case.anonymous,
        "sla_stage": case.sla_stage,
        "sla_due_at": local_iso(case.sla_due_at, tz),
        "report_count": case.report_count,
        "version": case.version,
    }

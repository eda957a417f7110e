"""What the case page's partials need from a case file: fields, deadline, timeline, notifications, calls, relations.

The partials (templates/cases/_*.html) take these shapes only, so the agencies' board and the supervisors' wall
can show the same parts of a case from the same builder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.access import Actor
from app.cases.casefile import CaseFile
from app.cases.deadlines import load_context, sla_status
from app.cases.photos import photos_of
from app.db import utcnow
from app.models import Case, CaseEvent
from app.present.audience import view_of
from app.present.case import case_view
from app.present.times import roc_datetime
from app.reference.cache import reference_cache
from app.settings_access import current_settings
from app.web.casepage.words import Entry, Names, coded, phone_text, timeline_entry
from app.web.casepage.words_records import Deadline, call_row, deadline_words, notification_row
from app.web.labels import L_, label

# The case's moments, in the order the fields list shows them (console keys `case_field.<name>`).
_MOMENTS = {
    "received_at": L_("case_field.received_at"),
    "created_at": L_("case_field.created_at"),
    "assigned_at": L_("case_field.assigned_at"),
    "acknowledged_at": L_("case_field.acknowledged_at"),
    "reported_at": L_("case_field.reported_at"),
    "closed_at": L_("case_field.closed_at"),
    "reopened_at": L_("case_field.reopened_at"),
    "merged_at": L_("case_field.merged_at"),
    "cancelled_at": L_("case_field.cancelled_at"),
}


@dataclass(frozen=True)
class Related:
    case_no: str
    status: str
    category: str


@dataclass(frozen=True)
class CaseSections:
    """Everything the partials show of one case, in the viewer's words and as the viewer may see it."""

    case_no: str
    version: int
    status: str
    fields: dict[str, Any]
    deadline: Deadline | None
    timeline: list[Entry]
    notifications: list[dict[str, Any]]
    calls: list[dict[str, Any]]
    parent: Related | None
    merged: list[Related]
    last_event_id: int
    photos: list[dict[str, Any]] = field(default_factory=list)


def _related(case: Case, names: Names) -> Related:
    return Related(case.case_no, coded("case_status", case.status.value), names.category(case.category.code))


def case_fields(case: Case, actor: Actor, names: Names, tz: ZoneInfo) -> dict[str, Any]:
    """The case's fields in words: codes named, times in ROC dates, the reporter as the viewer may see them."""
    shown = case_view(case, actor, tz)
    fields: dict[str, Any] = {
        "case_no": shown["case_no"],
        "status": coded("case_status", shown["status"]),
        "status_code": shown["status"],
        "case_type": coded("case_type", shown["case_type"]),
        "channel": coded("channel", shown["channel"]),
        "category": names.category(shown["category"]),
        "district": names.district(shown["district"]),
        "agency": names.agency(shown["agency"]) if shown["agency"] else label("case_field.no_agency"),
        "address": shown["address"] or "",
        "description": shown["description"] or "",
        "reporter_name": shown["reporter_name"] or "",
        "reporter_phone": phone_text(shown["reporter_phone"]),
        "anonymous": shown["anonymous"],
        "wants_sms_reply": shown["wants_sms_reply"],
        "report_text": shown["report_text"] or "",
        "report_outcome": coded("report_outcome", shown.get("report_outcome")),
        "resolution": shown["resolution"] or "",
    }
    fields["moments"] = [
        (key, roc_datetime(getattr(case, name), tz)) for name, key in _MOMENTS.items() if getattr(case, name)
    ]
    return fields


def entries(events: list[CaseEvent], case_file: CaseFile, actor: Actor, session: Session) -> list[Entry]:
    """Some of the case file's events in words (what changed since a stale form was read, say)."""
    tz = current_settings().timezone
    names = Names(reference_cache.snapshot(session))
    view = view_of(actor)
    return [timeline_entry(event, case_file.case.case_no, view, tz, names, case_file.hidden) for event in events]


def case_sections(case_file: CaseFile, actor: Actor, session: Session) -> CaseSections:
    tz = current_settings().timezone
    names = Names(reference_cache.snapshot(session))
    view = view_of(actor)
    case = case_file.case
    status = sla_status(session, case, load_context(session), utcnow())
    acknowledged = case.acknowledged_at is not None or case.reported_at is not None
    return CaseSections(
        case_no=case.case_no,
        version=case.version,
        status=case.status.value,
        fields=case_fields(case, actor, names, tz),
        deadline=deadline_words(status, acknowledged=acknowledged, tz=tz),
        timeline=[timeline_entry(event, case.case_no, view, tz, names, case_file.hidden) for event in case_file.events],
        notifications=[notification_row(row, view, tz) for row in case_file.notifications],
        calls=[call_row(call, view, tz) for call in case_file.calls],
        parent=_related(case_file.parent, names) if case_file.parent else None,
        merged=[_related(child, names) for child in case_file.merged],
        last_event_id=case_file.last_event_id,
        photos=photo_rows(session, case, tz),
    )


_SOURCE_KEYS = {"agency_report": L_("photo.source.agency_report"), "reporter": L_("photo.source.reporter")}


def photo_rows(session: Session, case: Case, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The case's photos as the page shows them (thumbnails linking to the image), numbered as they came."""
    rows = []
    for number, row in enumerate(photos_of(session, case), start=1):
        uploaded = roc_datetime(row.uploaded_at, tz)
        source = label(_SOURCE_KEYS.get(row.source, row.source))
        rows.append(
            {
                "id": row.id,
                "number": number,
                "thumb_width": row.thumb_width,
                "thumb_height": row.thumb_height,
                "alt": label("photo.alt", number=number, source=source, uploaded=uploaded),
                "source": source,
                "uploaded": uploaded,
                "located": row.gps_latitude is not None,
            }
        )
    return rows

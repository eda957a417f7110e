"""Request and response shapes of the JSON API; the OpenAPI document is generated from them."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from app.api.inputs import CleanSchema, LocalDateTime, StrictBoolean, StrictFloat
from app.cases.intake import NewCase
from app.cases.lifecycle import Action
from app.cases.queries import MAX_PAGE, CaseFilter, SlaFilter
from app.models import DESCRIPTION_MAX
from app.reference.files import load_entries
from app.vocabulary import CaseStatus, CaseType, Channel, ReportOutcome
from config.settings import REFERENCE_DIR


def reference_codes(kind: str) -> list[str]:
    """The codes of config/reference/<kind>.yaml (what `flask seed` makes active), for the document's enums."""
    return sorted(str(entry["code"]) for entry in load_entries(REFERENCE_DIR / f"{kind}.yaml", kind))


_NON_BLANK = validate.Regexp(r"\S", error="String does not match expected pattern.")


def text_field(max_length: int, *, required: bool = False, **kwargs: Any) -> fields.String:
    validators = [validate.Length(min=1, max=max_length), _NON_BLANK] if required else [validate.Length(max=max_length)]
    return fields.String(required=required, validate=validators, **kwargs)


class ErrorBodySchema(ma.Schema):
    code = fields.String(
        required=True, metadata={"description": "Stable machine-readable code, e.g. case.stale_version"}
    )
    message = fields.String(required=True, metadata={"description": "What went wrong and what to do, in zh-TW or en"})
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Per-field messages"},
    )


class ErrorSchema(ma.Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


class CaseCreateSchema(CleanSchema):
    case_type = fields.Enum(CaseType, by_value=True, metadata={"description": "Defaults to the category's type"})
    channel = fields.Enum(Channel, by_value=True, required=True)
    category = text_field(
        60,
        required=True,
        # Reference data: the codes the server accepts, so that a request valid by the document is not refused.
        metadata={"description": "Category code, see /categories", "enum": reference_codes("categories")},
    )
    district = fields.String(
        validate=validate.Length(max=40), allow_none=True, metadata={"description": "District code"}
    )
    address = fields.String(validate=validate.Length(max=300), allow_none=True)
    latitude = StrictFloat(validate=validate.Range(min=-90, max=90), allow_none=True, allow_nan=False)
    longitude = StrictFloat(validate=validate.Range(min=-180, max=180), allow_none=True, allow_nan=False)
    description = text_field(DESCRIPTION_MAX, required=True)
    reporter_name = fields.String(validate=validate.Length(max=100), allow_none=True)
    reporter_phone = fields.String(
        validate=validate.Length(max=40), allow_none=True, metadata={"example": "0912-345-678"}
    )
    anonymous = StrictBoolean(load_default=False)
    wants_sms_reply = StrictBoolean(load_default=False)
    received_at = LocalDateTime(
        allow_none=True, metadata={"description": "When the matter reached the city; default now"}
    )
    answer = fields.String(
        validate=validate.Length(max=DESCRIPTION_MAX),
        allow_none=True,
        metadata={"description": "For a consultation answered on the line: closes the case at once"},
    )

    @ma.post_load
    def to_new_case(self, data: dict[str, Any], **_: Any) -> NewCase:
        return NewCase(
            channel=data["channel"],
            category_code=data["category"],
            description=data["description"],
            case_type=data.get("case_type"),
            district_code=data.get("district") or None,
            address=data.get("address"),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            reporter_name=data.get("reporter_name"),
            reporter_phone=data.get("reporter_phone"),
            anonymous=data["anonymous"],
            wants_sms_reply=data["wants_sms_reply"],
            received_at=data.get("received_at"),
            answer=data.get("answer"),
        )


class SlaSchema(ma.Schema):
    policy = fields.String(required=True, metadata={"description": "The policy that set the deadlines"})
    policy_version = fields.Integer(required=True)
    clock = fields.String(required=True, metadata={"description": "wall (24/7) or working (working hours)"})
    round = fields.Integer(required=True, metadata={"description": "A reopened or re-assigned case starts a new one"})
    stage = fields.String(
        required=True, metadata={"description": "on_track, at_risk, breached, escalated, paused, met or stopped"}
    )
    started_at = fields.String(required=True, metadata={"format": "date-time"})
    ack_due_at = fields.String(allow_none=True, required=True, metadata={"format": "date-time"})
    report_due_at = fields.String(required=True, metadata={"format": "date-time"})
    due_at = fields.String(
        allow_none=True, required=True, metadata={"format": "date-time", "description": "The pending deadline"}
    )
    time_left_seconds = fields.Integer(
        allow_none=True,
        required=True,
        metadata={"description": "Counting time to due_at on the case's clock; negative once overdue"},
    )
    paused_since = fields.String(allow_none=True, required=True, metadata={"format": "date-time"})
    calendar_estimated = fields.Boolean(
        required=True,
        metadata={
            "description": "The working-time deadlines fall in or cross a year whose official calendar is not "
            "imported yet (estimated from rules): they may still move"
        },
    )
    estimated_years = fields.List(fields.Integer(), required=True)


class CaseSchema(ma.Schema):
    case_no = fields.String(required=True, metadata={"example": "1121106-0042"})
    case_type = fields.String(required=True)
    channel = fields.String(required=True)
    status = fields.String(required=True)
    category = fields.String(required=True)
    district = fields.String(allow_none=True)
    agency = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    description = fields.String(required=True)
    reporter_name = fields.String(allow_none=True)
    reporter_phone = fields.String(allow_none=True, metadata={"description": "E.164; masked for agencies"})
    anonymous = fields.Boolean(required=True)
    wants_sms_reply = fields.Boolean(required=True)
    resolution = fields.String(allow_none=True)
    report_text = fields.String(allow_none=True)
    report_outcome = fields.String(allow_none=True, metadata={"description": "The last report's outcome"})
    parent_case_no = fields.String(allow_none=True)
    report_count = fields.Integer(
        required=True, metadata={"description": "Reports of this matter: 1, plus each caller added to it (追加反映)"}
    )
    received_at = fields.String(required=True, metadata={"format": "date-time"})
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    updated_at = fields.String(required=True, metadata={"format": "date-time"})
    assigned_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    acknowledged_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    reported_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    closed_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    reopened_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    merged_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    cancelled_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    version = fields.Integer(required=True, metadata={"description": "Send it back with every action"})
    sla = fields.Nested(SlaSchema, allow_none=True, required=True)


class CasePageSchema(ma.Schema):
    items = fields.List(fields.Nested(CaseSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class CaseListQuerySchema(CleanSchema):
    status = fields.Enum(CaseStatus, by_value=True)
    case_type = fields.Enum(CaseType, by_value=True, data_key="type")
    category = fields.String(validate=validate.Length(max=60))
    agency = fields.String(validate=validate.Length(max=40))
    district = fields.String(validate=validate.Length(max=40))
    phone = fields.String(validate=validate.Length(max=40), metadata={"description": "Caller phone, any written form"})
    created_from = LocalDateTime()
    created_to = LocalDateTime()
    received_from = LocalDateTime()
    received_to = LocalDateTime()
    q = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "Case number, phone number, or Chinese text in description/address"},
    )
    sla = fields.Enum(
        SlaFilter,
        by_value=True,
        metadata={"description": "at_risk or breached (逾期); sorted by time to breach, nearest first"},
    )
    cursor = fields.String(validate=validate.Length(max=60))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))

    @ma.post_load
    def to_filter(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        page = {"limit": data.pop("limit"), "cursor": data.pop("cursor", None)}
        return {"filters": CaseFilter(**data), **page}


class EventSchema(ma.Schema):
    id = fields.Integer(required=True, metadata={"description": "Grows with every event; the live-push sequence"})
    case_no = fields.String(required=True)
    event_type = fields.String(required=True)
    actor = fields.String(allow_none=True)
    occurred_at = fields.String(required=True, metadata={"format": "date-time"})
    recorded_at = fields.String(required=True, metadata={"format": "date-time"})
    payload = fields.Dict(required=True)


class NotificationSchema(ma.Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "dispatch_sms, duty_call, citizen_receipt, …"})
    channel = fields.String(required=True, metadata={"description": "sms or voice"})
    recipient = fields.String(required=True, metadata={"description": "E.164; masked for agencies"})
    recipient_name = fields.String(
        allow_none=True, metadata={"description": "who was on duty at that number (the agency's duty roster)"}
    )
    body = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "pending, sending, sent, delivered, failed, …"})
    attempts = fields.Integer(required=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    sent_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    delivered_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class VersionedSchema(CleanSchema):
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class AssignSchema(VersionedSchema):
    agency = fields.String(
        validate=validate.Length(max=40), allow_none=True, metadata={"description": "Omit to route by the rules"}
    )


class TextSchema(VersionedSchema):
    text = text_field(DESCRIPTION_MAX, required=True)


class ReportSchema(TextSchema):
    outcome = fields.String(
        load_default=ReportOutcome.OTHER.value,
        validate=validate.OneOf([outcome.value for outcome in ReportOutcome]),
        metadata={"description": "done, scheduled, not_ours, needs_other_agency, cannot_find, other (the default)"},
    )


class ResolutionSchema(VersionedSchema):
    resolution = text_field(DESCRIPTION_MAX, required=True)


class ReasonSchema(VersionedSchema):
    reason = text_field(1000, required=True)


class MergeSchema(VersionedSchema):
    into = fields.String(required=True, validate=validate.Length(min=1, max=16), metadata={"example": "1121106-0042"})
    reason = fields.String(validate=validate.Length(max=1000), allow_none=True)


ACTION_SCHEMAS: dict[Action, type[VersionedSchema]] = {
    Action.ASSIGN: AssignSchema,
    Action.ACKNOWLEDGE: VersionedSchema,
    Action.NOTE: TextSchema,
    Action.REPORT: ReportSchema,
    Action.CLOSE: ResolutionSchema,
    Action.REOPEN: ReasonSchema,
    Action.MERGE: MergeSchema,
    Action.CANCEL: ReasonSchema,
    Action.WAIT: ReasonSchema,
    Action.RESUME: VersionedSchema,
    Action.RETURN: ReasonSchema,
}


class DistrictSchema(ma.Schema):
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)


class AgencySchema(DistrictSchema):
    district = fields.String(allow_none=True)


class CategorySchema(DistrictSchema):
    case_type = fields.String(required=True)
    default_agency = fields.String(allow_none=True)
    urgent = fields.Boolean(required=True)


class AgencyCountsSchema(ma.Schema):
    agency = fields.String(allow_none=True, metadata={"description": "Agency code; null for cases still in triage"})
    name_zh = fields.String(allow_none=True)
    open = fields.Integer(required=True)
    at_risk = fields.Integer(required=True)
    breached = fields.Integer(required=True)
    unacknowledged = fields.Integer(required=True, metadata={"description": "Dispatches not yet acknowledged"})
    breached_moved_away = fields.Integer(
        load_default=0,
        metadata={"description": "Of breached: cases this agency breached in an earlier round, since re-routed"},
    )


class CountTotalsSchema(ma.Schema):
    open = fields.Integer(required=True)
    at_risk = fields.Integer(required=True)
    breached = fields.Integer(required=True)
    unacknowledged = fields.Integer(required=True)


class LiveStatsSchema(ma.Schema):
    as_of = fields.String(required=True)
    agencies = fields.List(fields.Nested(AgencyCountsSchema), required=True)
    totals = fields.Nested(CountTotalsSchema, required=True)

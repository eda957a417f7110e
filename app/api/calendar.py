"""The SLA calendar: working days, holidays, make-up days (補班), official and estimated years, and the
administrators' overrides and official imports."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import date, time
from typing import Any

import marshmallow as ma
from flask import request
from marshmallow import fields

from app.api.auth import authenticate, current_actor, require_json_body
from app.api.docs import documents_errors
from app.api.inputs import ApiBlueprint, CleanSchema, StrictBoolean
from app.api.schemas import text_field
from app.cases import calendar, official_calendar
from app.db import current_session, utcnow
from app.errors import N_, Forbidden, InvalidInput
from app.present.times import local_iso
from app.settings_access import current_settings
from sla.calendar import FIRST_YEAR, LAST_YEAR, CalendarDay

blp = ApiBlueprint("calendar", __name__, description="The government office calendar the SLA clocks run on")
blp.before_request(authenticate)
blp.before_request(require_json_body)

_RANGE_NOTE = "HH:MM, local time; a partial override (e.g. from 13:30: 今天下午停班). Omitted: the whole day."


class CalendarDaySchema(ma.Schema):
    date = fields.String(required=True, metadata={"format": "date"})
    kind = fields.String(
        required=True,
        metadata={
            "description": "working, weekend, holiday, makeup_workday (補班), closed, opened, partly_closed, "
            "partly_opened"
        },
    )
    working = fields.Boolean(required=True)
    name = fields.String(allow_none=True, required=True, metadata={"description": "Holiday name or override reason"})
    from_ = fields.String(
        attribute="from", data_key="from", allow_none=True, required=True, metadata={"description": _RANGE_NOTE}
    )
    until = fields.String(allow_none=True, required=True, metadata={"description": _RANGE_NOTE})


class OverrideSchema(ma.Schema):
    date = fields.String(required=True, metadata={"format": "date"})
    working = fields.Boolean(required=True)
    reason = fields.String(required=True)
    from_ = fields.String(attribute="from", data_key="from", allow_none=True, required=True)
    until = fields.String(allow_none=True, required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class CalendarYearSchema(ma.Schema):
    year = fields.Integer(required=True)
    state = fields.String(
        required=True,
        metadata={"description": "official (imported from the government's calendar) or estimated (from rules)"},
    )
    source = fields.String(required=True, metadata={"description": "The official file's source, or the rules'"})
    imported_at = fields.String(allow_none=True, required=True, metadata={"format": "date-time"})
    working_days = fields.Integer(required=True)
    days = fields.List(fields.Nested(CalendarDaySchema), required=True)
    overrides = fields.List(fields.Nested(OverrideSchema), required=True)


class YearStateSchema(ma.Schema):
    year = fields.Integer(required=True)
    state = fields.String(required=True, metadata={"description": "official or estimated"})
    source = fields.String(required=True)
    imported_at = fields.String(allow_none=True, required=True, metadata={"format": "date-time"})
    days_off = fields.Integer(required=True)
    working_days = fields.Integer(required=True)


class CalendarStatusSchema(ma.Schema):
    holiday_source = fields.String(required=True, metadata={"description": "What estimated years come from"})
    deadlines_follow = fields.String(
        allow_none=True, required=True, metadata={"description": "The source version open deadlines were computed on"}
    )
    years = fields.List(fields.Nested(YearStateSchema), required=True)


_CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")


class OverrideInputSchema(CleanSchema):
    working = StrictBoolean(required=True, metadata={"description": "false: closed (停班); true: declared open"})
    reason = text_field(200, required=True, metadata={"example": "凱米颱風停班"})
    from_ = fields.String(
        data_key="from", validate=ma.validate.Regexp(_CLOCK), metadata={"example": "13:30", "description": _RANGE_NOTE}
    )
    until = fields.String(
        validate=ma.validate.Regexp(re.compile(f"{_CLOCK.pattern}|^24:00$")),
        metadata={"example": "17:30", "description": _RANGE_NOTE},
    )


class OverrideResultSchema(ma.Schema):
    date = fields.String(required=True, metadata={"format": "date"})
    working = fields.Boolean(allow_none=True, required=True, metadata={"description": "null once removed"})
    reason = fields.String(required=True)
    from_ = fields.String(attribute="from", data_key="from", allow_none=True, required=True)
    until = fields.String(allow_none=True, required=True)
    recomputed_cases = fields.Integer(required=True, metadata={"description": "Open cases whose deadlines moved"})
    now_overdue_cases = fields.Integer(required=True, metadata={"description": "Of them, now past a deadline"})


class OfficialImportInputSchema(CleanSchema):
    content_base64 = fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=400_000),
        metadata={"description": "The open-data CSV (政府行政機關辦公日曆表), UTF-8 or Big5, base64-encoded"},
    )
    source = text_field(300, required=True, metadata={"example": "行政院人事行政總處 115年政府行政機關辦公日曆表"})
    preview = StrictBoolean(load_default=False, metadata={"description": "true: show the differences, apply nothing"})
    confirm = StrictBoolean(
        load_default=False, metadata={"description": "Required (true) when the import moves open cases' deadlines"}
    )


class DayStateSchema(ma.Schema):
    kind = fields.String(required=True)
    working = fields.Boolean(required=True)
    name = fields.String(allow_none=True, required=True)


class DayChangeSchema(ma.Schema):
    date = fields.String(required=True, metadata={"format": "date"})
    before = fields.Nested(DayStateSchema, required=True)
    after = fields.Nested(DayStateSchema, required=True)


class OfficialImportResultSchema(ma.Schema):
    year = fields.Integer(required=True)
    source = fields.String(required=True)
    applied = fields.Boolean(required=True, metadata={"description": "false on a preview"})
    replaced = fields.Boolean(required=True, metadata={"description": "The year had been imported before"})
    differences = fields.List(fields.Nested(DayChangeSchema), required=True)
    recomputed_cases = fields.Integer(
        required=True, metadata={"description": "Open cases whose deadlines moved (on a preview: would move)"}
    )
    now_overdue_cases = fields.Integer(required=True)


def _day(text: str) -> date:
    try:
        day = date.fromisoformat(text) if re.match(r"^\d{4}-\d{2}-\d{2}$", text) else None
    except ValueError:
        day = None
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput("validation.failed", fields={"day": [N_("field.bad_date")]})
    return day


def _clock(text: str | None) -> time | None:
    return None if text is None or text == "24:00" else time.fromisoformat(text)


def _hhmm(moment: time | None) -> str | None:
    return moment.strftime("%H:%M") if moment else None


def _administrators_only() -> None:
    """Changes are for administrators: say so before looking at what was sent."""
    if request.method != "GET" and current_actor().role not in calendar.ADMINISTRATORS:
        raise Forbidden("auth.forbidden", role=current_actor().role.value)


blp.before_request(_administrators_only)


def _result(result: calendar.OverrideResult) -> dict[str, Any]:
    return {
        "date": result.day.isoformat(),
        "working": result.working,
        "reason": result.reason,
        "from": _hhmm(result.start),
        "until": _hhmm(result.end),
        "recomputed_cases": result.recomputed,
        "now_overdue_cases": result.overdue,
    }


def _day_view(day: CalendarDay) -> dict[str, Any]:
    return {
        "date": day.day.isoformat(),
        "kind": day.kind.value,
        "working": day.is_working,
        "name": day.name,
        "from": _hhmm(day.start),
        "until": _hhmm(day.end),
    }


@blp.route("/calendar/<int:year>", methods=["GET"])
@blp.response(200, CalendarYearSchema)
@documents_errors(blp, 404)
def get_calendar(year: int) -> dict[str, Any]:
    """Every day of the year as the working-time clock counts it, with the overrides, and whether the
    year is official (imported) or estimated."""
    shown = calendar.calendar_year(current_session(), year)
    tz = current_settings().timezone
    return {
        "year": year,
        "state": "estimated" if shown.official is None else "official",
        "source": shown.source,
        "imported_at": local_iso(shown.official.imported_at, tz) if shown.official else None,
        "working_days": sum(day.is_working for day in shown.days),
        "days": [_day_view(day) for day in shown.days],
        "overrides": [
            {
                "date": row.day.isoformat(),
                "working": row.working,
                "reason": row.reason,
                "from": _hhmm(row.starts_at),
                "until": _hhmm(row.ends_at),
                "created_at": local_iso(row.created_at, tz),
            }
            for row in shown.overrides
        ],
    }


@blp.route("/calendar/status", methods=["GET"])
@blp.response(200, CalendarStatusSchema)
@documents_errors(blp)
def get_status() -> dict[str, Any]:
    """The years in use, each official or estimated, and the holiday source estimated years come from."""
    tz = current_settings().timezone
    status = official_calendar.calendar_status(current_session(), today=utcnow().astimezone(tz).date())
    return {
        "holiday_source": status.source_version,
        "deadlines_follow": status.deadlines_follow,
        "years": [
            {
                "year": state.year,
                "state": "official" if state.official else "estimated",
                "source": state.source,
                "imported_at": local_iso(state.imported_at, tz),
                "days_off": state.days_off,
                "working_days": state.working_days,
            }
            for state in status.years
        ],
    }


@blp.route("/calendar/overrides/<string:day>", methods=["PUT"])
@blp.arguments(OverrideInputSchema)
@blp.response(200, OverrideResultSchema)
@documents_errors(blp, 400, 403, 415, 422)
def put_override(body: dict[str, Any], day: str) -> dict[str, Any]:
    """Administrators: close a day (停班) or open one, whole or from/until a time; open cases' deadlines
    move at once. Not for what has already passed."""
    result = calendar.set_override(
        session=current_session(),
        actor=current_actor(),
        day=_day(day),
        working=body["working"],
        reason=body["reason"],
        start=_clock(body.get("from_")),
        end=_clock(body.get("until")),
    )
    return _result(result)


@blp.route("/calendar/overrides/<string:day>", methods=["DELETE"])
@blp.response(200, OverrideResultSchema)
@documents_errors(blp, 403, 404, 422)
def delete_override(day: str) -> dict[str, Any]:
    """Administrators: take an override back; open cases' deadlines move back at once."""
    return _result(calendar.remove_override(session=current_session(), actor=current_actor(), day=_day(day)))


@blp.route("/calendar/official/<int:year>", methods=["POST"])
@blp.arguments(OfficialImportInputSchema)
@blp.response(200, OfficialImportResultSchema)
@documents_errors(blp, 400, 403, 409, 415, 422)
def post_official(body: dict[str, Any], year: int) -> dict[str, Any]:
    """Administrators: import the government's office calendar for `year` (its open-data CSV): with
    `preview` the differences only; otherwise the year becomes official, and if that moves open
    cases' deadlines, `confirm` must be true (409 says how many)."""
    try:
        data = base64.b64decode(body["content_base64"], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("validation.failed", fields={"content_base64": [N_("field.bad_base64")]}) from None
    result = official_calendar.import_official_calendar(
        session=current_session(),
        actor=current_actor(),
        data=data,
        source=body["source"],
        year=year,
        confirm=body["confirm"],
        preview=body["preview"],
    )

    def state(day: CalendarDay) -> dict[str, Any]:
        return {"kind": day.kind.value, "working": day.is_working, "name": day.name}

    return {
        "year": result.year,
        "source": result.source,
        "applied": result.applied,
        "replaced": result.replaced,
        "differences": [
            {"date": change.after.day.isoformat(), "before": state(change.before), "after": state(change.after)}
            for change in result.changes
        ],
        "recomputed_cases": result.moved,
        "now_overdue_cases": result.overdue,
    }

"""The SLA calendar: working days, holidays, make-up days (補班) and the administrators' overrides."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import marshmallow as ma
from flask import request
from marshmallow import fields

from app.api.auth import authenticate, current_actor, require_json_body
from app.api.docs import documents_errors
from app.api.inputs import ApiBlueprint, CleanSchema, StrictBoolean
from app.api.schemas import text_field
from app.cases import calendar
from app.db import current_session
from app.errors import N_, Forbidden, InvalidInput
from app.present.times import local_iso
from app.settings_access import current_settings

blp = ApiBlueprint("calendar", __name__, description="The government office calendar the SLA clocks run on")
blp.before_request(authenticate)
blp.before_request(require_json_body)


class CalendarDaySchema(ma.Schema):
    date = fields.String(required=True, metadata={"format": "date"})
    kind = fields.String(
        required=True, metadata={"description": "working, weekend, holiday, makeup_workday (補班), closed, opened"}
    )
    working = fields.Boolean(required=True)
    name = fields.String(allow_none=True, required=True, metadata={"description": "Holiday name or override reason"})


class OverrideSchema(ma.Schema):
    date = fields.String(required=True, metadata={"format": "date"})
    working = fields.Boolean(required=True)
    reason = fields.String(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class CalendarYearSchema(ma.Schema):
    year = fields.Integer(required=True)
    working_days = fields.Integer(required=True)
    days = fields.List(fields.Nested(CalendarDaySchema), required=True)
    overrides = fields.List(fields.Nested(OverrideSchema), required=True)


class OverrideInputSchema(CleanSchema):
    working = StrictBoolean(required=True, metadata={"description": "false: closed (停班); true: declared open"})
    reason = text_field(200, required=True, metadata={"example": "凱米颱風停班"})


class OverrideResultSchema(ma.Schema):
    date = fields.String(required=True, metadata={"format": "date"})
    working = fields.Boolean(allow_none=True, required=True, metadata={"description": "null once removed"})
    reason = fields.String(required=True)
    recomputed_cases = fields.Integer(required=True, metadata={"description": "Open cases whose deadlines moved"})


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _day(text: str) -> date:
    try:
        day = date.fromisoformat(text) if _DATE.match(text) else None
    except ValueError:
        day = None
    if day is None or not calendar.FIRST_YEAR <= day.year <= calendar.LAST_YEAR:
        raise InvalidInput("validation.failed", fields={"day": [N_("field.bad_date")]})
    return day


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
        "recomputed_cases": result.recomputed,
    }


@blp.route("/calendar/<int:year>", methods=["GET"])
@blp.response(200, CalendarYearSchema)
@documents_errors(blp, 404)
def get_calendar(year: int) -> dict[str, Any]:
    """Every day of the year as the working-time clock counts it, with the overrides."""
    days, overrides = calendar.calendar_year(current_session(), year)
    tz = current_settings().timezone
    return {
        "year": year,
        "working_days": sum(day.is_working for day in days),
        "days": [
            {"date": day.day.isoformat(), "kind": day.kind.value, "working": day.is_working, "name": day.name}
            for day in days
        ],
        "overrides": [
            {
                "date": row.day.isoformat(),
                "working": row.working,
                "reason": row.reason,
                "created_at": local_iso(row.created_at, tz),
            }
            for row in overrides
        ],
    }


@blp.route("/calendar/overrides/<string:day>", methods=["PUT"])
@blp.arguments(OverrideInputSchema)
@blp.response(200, OverrideResultSchema)
@documents_errors(blp, 400, 403, 415, 422)
def put_override(body: dict[str, Any], day: str) -> dict[str, Any]:
    """Administrators: close a day (停班) or open one; open cases' deadlines move at once. Not for past days."""
    result = calendar.set_override(
        session=current_session(), actor=current_actor(), day=_day(day), working=body["working"], reason=body["reason"]
    )
    return _result(result)


@blp.route("/calendar/overrides/<string:day>", methods=["DELETE"])
@blp.response(200, OverrideResultSchema)
@documents_errors(blp, 403, 404, 422)
def delete_override(day: str) -> dict[str, Any]:
    """Administrators: take an override back; open cases' deadlines move back at once."""
    return _result(calendar.remove_override(session=current_session(), actor=current_actor(), day=_day(day)))

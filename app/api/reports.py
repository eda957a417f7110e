"""The monthly report over HTTP: GET its figures as JSON, POST to freeze a closed month for sign-off."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from marshmallow import fields

from app.api.auth import authenticate, current_actor, require_json_body
from app.api.docs import documents_errors
from app.api.inputs import ApiBlueprint
from app.db import current_session, utcnow
from app.reports.freeze import Frozen, freeze_month, report_view, require_reader
from app.reports.monthly import parse_month

blp = ApiBlueprint("reports", __name__, description="The mayor's monthly report (月報)")
blp.before_request(authenticate)
blp.before_request(require_json_body)

MONTH_IN_PATH: dict[str, Any] = {
    "in": "path",
    "name": "month",
    "required": True,
    "description": "A month in Asia/Taipei time, YYYY-MM",
    "schema": {"type": "string", "pattern": r"^\d{4}-\d{2}$"},
}


class AgencyReportSchema(ma.Schema):
    key = fields.String(required=True)
    agency = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    received = fields.Integer(required=True)
    ack_measured = fields.Integer(required=True)
    ack_on_time = fields.Integer(required=True)
    ack_on_time_pct = fields.Float(required=True, allow_none=True)
    report_measured = fields.Integer(required=True)
    report_on_time = fields.Integer(required=True)
    report_on_time_pct = fields.Float(required=True, allow_none=True)
    ack_p50_s = fields.Integer(required=True, allow_none=True)
    ack_p90_s = fields.Integer(required=True, allow_none=True)
    report_p50_s = fields.Integer(required=True, allow_none=True)
    report_p90_s = fields.Integer(required=True, allow_none=True)
    overdue_open = fields.Integer(required=True)
    reported_late = fields.Integer(required=True)
    rerouted_away = fields.Integer(required=True)
    returned = fields.Integer(required=True)
    extended = fields.Integer(required=True)
    small_sample = fields.Boolean(required=True)
    rank = fields.Integer(required=True, allow_none=True)
    vs_previous = fields.Dict(required=True)
    vs_last_year = fields.Dict(required=True)


class FrozenSchema(ma.Schema):
    frozen_at = fields.String(required=True)
    frozen_by = fields.String(required=True)
    app_version = fields.String(required=True)


class MonthlyReportSchema(ma.Schema):
    month = fields.String(required=True)
    roc_month = fields.String(required=True)
    complete = fields.Boolean(required=True)
    as_of = fields.String(required=True)
    days = fields.Integer(required=True)
    min_volume = fields.Integer(required=True)
    headline = fields.Dict(required=True)
    calls = fields.Dict(required=True)
    cases = fields.Dict(required=True)
    consultations = fields.Dict(required=True)
    satisfaction = fields.Float(required=True, allow_none=True)
    agencies = fields.List(fields.Nested(AgencyReportSchema), required=True)
    totals = fields.Dict(required=True)
    comparison = fields.Dict(required=True)
    trend = fields.List(fields.Dict(), required=True)
    frozen = fields.Nested(FrozenSchema, required=True, allow_none=True)
    differences = fields.List(fields.Dict(), required=True)


@blp.route("/reports/monthly/<string:month>", methods=["GET"])
@blp.doc(parameters=[MONTH_IN_PATH])
@blp.response(200, MonthlyReportSchema)
@documents_errors(blp, 403, 422)
def get_monthly(month: str) -> dict[str, Any]:
    """The mayor's office, supervisors, administrators: a month's report (frozen figures if frozen, with
    the differences since). A month not begun, or before any data, is refused with the reason."""
    actor = current_actor()
    require_reader(actor)
    tz = current_app.config["HOTLINE_SETTINGS"].timezone
    view = report_view(current_session(), actor, parse_month(month), tz=tz, now=utcnow())
    return view.as_dict(tz)


@blp.route("/reports/monthly/<string:month>/freeze", methods=["POST"])
@blp.doc(parameters=[MONTH_IN_PATH])
@blp.response(201, FrozenSchema)
@documents_errors(blp, 403, 409, 415, 422)
def post_freeze(month: str) -> dict[str, Any]:
    """The mayor's office, administrators: freeze a closed month for sign-off, once (409 the second time)."""
    tz = current_app.config["HOTLINE_SETTINGS"].timezone
    snapshot = freeze_month(
        session=current_session(), actor=current_actor(), month=parse_month(month), tz=tz, now=utcnow()
    )
    return Frozen.of(snapshot).as_dict(tz)

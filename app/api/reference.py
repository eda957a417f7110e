"""Reference data: the active districts, categories and agencies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.api.auth import authenticate, require_json_body
from app.api.docs import documents_errors
from app.api.inputs import ApiBlueprint
from app.api.schemas import AgencySchema, CategorySchema, DistrictSchema
from app.db import current_session
from app.models import District
from app.present.reference import agency_view, category_view
from app.reference import lookups

blp = ApiBlueprint("reference", __name__, description="Districts, categories and agencies")
blp.before_request(authenticate)
blp.before_request(require_json_body)


@blp.route("/districts")
@blp.response(200, DistrictSchema(many=True))
@documents_errors(blp)
def list_districts() -> Sequence[District]:
    """The city's districts (行政區)."""
    return lookups.active_districts(current_session())


@blp.route("/categories")
@blp.response(200, CategorySchema(many=True))
@documents_errors(blp)
def list_categories() -> list[dict[str, Any]]:
    """Case categories with their case type, default agency and urgency."""
    return [category_view(category) for category in lookups.active_categories(current_session())]


@blp.route("/agencies")
@blp.response(200, AgencySchema(many=True))
@documents_errors(blp)
def list_agencies() -> list[dict[str, Any]]:
    """Agencies that receive cases (權責機關)."""
    return [agency_view(agency) for agency in lookups.active_agencies(current_session())]

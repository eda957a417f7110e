"""Reference data: the active districts, categories and agencies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import select

from app.api.auth import authenticate, require_json_body
from app.api.docs import documents_errors
from app.api.schemas import AgencySchema, CategorySchema, DistrictSchema
from app.db import db
from app.models import Agency, Category, District

blp = Blueprint("reference", __name__, description="Districts, categories and agencies")
blp.before_request(authenticate)
blp.before_request(require_json_body)


@blp.route("/districts")
@blp.response(200, DistrictSchema(many=True))
@documents_errors(blp)
def list_districts() -> Sequence[District]:
    """The city's districts (行政區)."""
    return db.session.scalars(select(District).where(District.active.is_(True)).order_by(District.id)).all()


@blp.route("/categories")
@blp.response(200, CategorySchema(many=True))
@documents_errors(blp)
def list_categories() -> list[dict[str, Any]]:
    """Case categories with their case type, default agency and urgency."""
    rows = db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.id)).all()
    return [
        {
            "code": row.code,
            "name_zh": row.name_zh,
            "name_en": row.name_en,
            "case_type": row.case_type.value,
            "default_agency": row.default_agency.code if row.default_agency else None,
            "urgent": row.urgent,
        }
        for row in rows
    ]


@blp.route("/agencies")
@blp.response(200, AgencySchema(many=True))
@documents_errors(blp)
def list_agencies() -> list[dict[str, Any]]:
    """Agencies that receive cases (權責機關)."""
    rows = db.session.scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.id)).all()
    return [
        {
            "code": row.code,
            "name_zh": row.name_zh,
            "name_en": row.name_en,
            "district": row.district.code if row.district else None,
        }
        for row in rows
    ]

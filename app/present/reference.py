"""Reference rows (categories, agencies) as the API lists them."""

from __future__ import annotations

from typing import Any

from app.models import Agency, Category


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

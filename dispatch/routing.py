"""Category + district -> the responsible agency (權責機關). Pure: no Flask, no database."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


class RouteReason(enum.StrEnum):
    DISTRICT_RULE = "district_rule"
    CATEGORY_DEFAULT = "category_default"
    NO_MATCH = "no_match"


@dataclass(frozen=True)
class RouteDecision:
    agency_code: str | None
    reason: RouteReason


def route(
    *,
    category_code: str,
    district_code: str | None,
    rules: Mapping[tuple[str, str], str],
    default_agency_code: str | None,
) -> RouteDecision:
    """A rule for the category in this district wins; then the category's default agency.

    NO_MATCH means the case goes to the supervisors' triage list, never silently nowhere.
    """
    if district_code is not None:
        agency = rules.get((category_code, district_code))
        if agency is not None:
            return RouteDecision(agency, RouteReason.DISTRICT_RULE)
    if default_agency_code is not None:
        return RouteDecision(default_agency_code, RouteReason.CATEGORY_DEFAULT)
    return RouteDecision(None, RouteReason.NO_MATCH)

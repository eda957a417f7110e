"""Routing: category + district -> agency, with the reason recorded."""

from __future__ import annotations

from dispatch.routing import RouteReason, route

RULES = {("street_light", "fongshan"): "DO-FONGSHAN"}


def test_a_district_rule_wins_over_the_category_default() -> None:
    decision = route(
        category_code="street_light", district_code="fongshan", rules=RULES, default_agency_code="PWD-MAINT"
    )
    assert (decision.agency_code, decision.reason) == ("DO-FONGSHAN", RouteReason.DISTRICT_RULE)


def test_the_category_default_applies_elsewhere() -> None:
    decision = route(category_code="street_light", district_code="sanmin", rules=RULES, default_agency_code="PWD-MAINT")
    assert (decision.agency_code, decision.reason) == ("PWD-MAINT", RouteReason.CATEGORY_DEFAULT)


def test_no_district_uses_the_default() -> None:
    decision = route(category_code="street_light", district_code=None, rules=RULES, default_agency_code="PWD-MAINT")
    assert decision.reason is RouteReason.CATEGORY_DEFAULT


def test_nothing_matches_goes_to_triage_not_nowhere() -> None:
    decision = route(category_code="petition_new", district_code="sanmin", rules=RULES, default_agency_code=None)
    assert decision.agency_code is None and decision.reason is RouteReason.NO_MATCH

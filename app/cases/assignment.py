"""Find the responsible agency for a case from the routing rules in the database."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import Agency, Category, District
from app.reference import lookups
from dispatch import routing


def resolve_agency(
    session: Session, category: Category, district: District | None
) -> tuple[Agency | None, routing.RouteDecision]:
    """The agency the rules give (or None, for triage) and the decision with its reason."""
    by_rule = lookups.rule_agency(session, category, district)
    default = category.default_agency if category.default_agency and category.default_agency.active else None
    decision = routing.route(
        category_code=category.code,
        district_code=district.code if district else None,
        rules={(category.code, district.code): by_rule.code} if by_rule and district else {},
        default_agency_code=default.code if default else None,
    )
    candidates = {agency.code: agency for agency in (by_rule, default) if agency is not None}
    return candidates.get(decision.agency_code or ""), decision

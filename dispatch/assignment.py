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
    decision = routing.route(
        category_code=category.code,
        district_code=district.code if district else None,
        rules=lookups.routing_rules_for(session, category, district),
        default_agency_code=category.default_agency.code if category.default_agency else None,
    )
    agency = lookups.active_agency(session, decision.agency_code) if decision.agency_code else None
    return agency, decision

"""Categories and their routing rules edited by administrators, and the preview of where a case goes.

The preview runs the same pure function intake uses (dispatch.routing.route) on the edited rules.
Saving is one transaction with its change-log entry; a refusal changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import Actor
from app.admin_audit import changed_fields, record_admin_change
from app.db import write_transaction
from app.errors import N_, Conflict, InvalidInput, NotFound
from app.models import Agency, Category, District, RoutingRule
from app.reference.admin_policies import require_admin
from app.reference.cache import reference_cache
from app.vocabulary import CaseType
from dispatch.routing import RouteDecision, route

CODE = re.compile(r"^[a-z][a-z0-9_]{1,59}$")


@dataclass
class CategoryInput:
    """A category as the form sends it: codes, not ids; `rules` maps a district code to an agency code."""

    code: str
    name_zh: str
    name_en: str
    case_type: str
    urgent: bool
    default_agency: str
    rules: dict[str, str] = field(default_factory=dict)


def category_snapshot(session: Session, category: Category) -> dict[str, Any]:
    """A category and its active district rules, as the change log keeps it and stale edits compare it."""
    rules = session.execute(
        select(District.code, Agency.code)
        .select_from(RoutingRule)
        .join(District, District.id == RoutingRule.district_id)
        .join(Agency, Agency.id == RoutingRule.agency_id)
        .where(RoutingRule.category_id == category.id, RoutingRule.active.is_(True))
        .order_by(District.code)
    )
    return {
        "code": category.code,
        "name_zh": category.name_zh,
        "name_en": category.name_en,
        "case_type": category.case_type.value,
        "urgent": category.urgent,
        "default_agency": category.default_agency.code if category.default_agency else "",
        "active": category.active,
        "rules": {district: agency for district, agency in rules},
    }


def input_of(snapshot: Mapping[str, Any]) -> CategoryInput:
    return CategoryInput(
        code=snapshot["code"],
        name_zh=snapshot["name_zh"],
        name_en=snapshot["name_en"],
        case_type=snapshot["case_type"],
        urgent=snapshot["urgent"],
        default_agency=snapshot["default_agency"],
        rules=dict(snapshot["rules"]),
    )


def get_category(session: Session, code: str) -> Category:
    category = session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise NotFound("admin.category.not_found", code=code)
    return category


def preview_routes(session: Session, edited: CategoryInput) -> dict[str, RouteDecision]:
    """Where a case of the edited category goes in each active district, by the edited rules."""
    snapshot = reference_cache.snapshot(session)
    rules = {(edited.code, district): agency for district, agency in edited.rules.items() if agency}
    return {
        district: route(
            category_code=edited.code,
            district_code=district,
            rules=rules,
            default_agency_code=edited.default_agency or None,
        )
        for district in snapshot.districts
    }


def save_category(*, session: Session, actor: Actor, edited: CategoryInput, seen: Mapping[str, Any] | None) -> Category:
    """Create a category (`seen` None) or update one from the snapshot the editor saw.

    Refused, with nothing changed: a missing name, a code taken or malformed, an unknown case type,
    a default agency or rule naming an inactive agency, or a category changed since `seen` (409)."""
    require_admin(actor)
    with write_transaction(session):
        existing = session.scalar(select(Category).where(Category.code == edited.code).with_for_update(of=Category))
        before = category_snapshot(session, existing) if existing is not None else None
        if seen is None and existing is not None:
            raise InvalidInput("validation.failed", fields={"code": [N_("admin.category.duplicate_code")]})
        if seen is not None:
            if existing is None:
                raise NotFound("admin.category.not_found", code=edited.code)
            if dict(seen) != before:
                raise Conflict("admin.stale", changed=changed_fields(dict(seen), before), current=before)
        agencies = {row.code: row for row in session.scalars(select(Agency).where(Agency.active.is_(True)))}
        districts = {row.code: row for row in session.scalars(select(District).where(District.active.is_(True)))}
        _check(edited, agencies, districts, creating=seen is None)
        category = existing or Category(code=edited.code, active=True)
        category.name_zh, category.name_en = edited.name_zh.strip(), edited.name_en.strip()
        category.case_type, category.urgent = CaseType(edited.case_type), edited.urgent
        category.default_agency_id = agencies[edited.default_agency].id if edited.default_agency else None
        session.add(category)
        session.flush()
        _store_rules(session, category, edited.rules, agencies, districts)
        session.flush()
        session.expire(category, ["default_agency"])
        after = category_snapshot(session, category)
        if after != before:
            record_admin_change(
                session,
                actor=actor,
                object_type="category",
                object_key=category.code,
                action="created" if before is None else "updated",
                before=before,
                after=after,
            )
    reference_cache.clear()
    return category


def _check(
    edited: CategoryInput, agencies: Mapping[str, Agency], districts: Mapping[str, District], *, creating: bool
) -> None:
    fields: dict[str, list[str]] = {}
    if creating and not CODE.match(edited.code):
        fields["code"] = [N_("admin.category.bad_code")]
    for name in ("name_zh", "name_en"):
        if not getattr(edited, name).strip():
            fields[name] = [N_("field.required")]
        elif len(getattr(edited, name).strip()) > (60 if name == "name_zh" else 120):
            fields[name] = [N_("admin.field.too_long")]
    if edited.case_type not in {member.value for member in CaseType}:
        fields["case_type"] = [N_("field.required")]
    if edited.default_agency and edited.default_agency not in agencies:
        fields["default_agency"] = [N_("admin.agency_inactive")]
    for district, agency in edited.rules.items():
        if district not in districts:
            fields[f"rule-{district}"] = [N_("field.unknown_district")]
        elif agency and agency not in agencies:
            fields[f"rule-{district}"] = [N_("admin.agency_inactive")]
    if fields:
        raise InvalidInput("validation.failed", fields=fields)


def _store_rules(
    session: Session,
    category: Category,
    rules: Mapping[str, str],
    agencies: Mapping[str, Agency],
    districts: Mapping[str, District],
) -> None:
    """One rule row per district, kept when emptied (inactive) so that its history stays."""
    existing = {
        row.district_id: row
        for row in session.scalars(select(RoutingRule).where(RoutingRule.category_id == category.id))
    }
    for code, district in districts.items():
        agency_code = rules.get(code, "")
        row = existing.get(district.id)
        if agency_code:
            if row is None:
                row = RoutingRule(category_id=category.id, district_id=district.id, agency_id=agencies[agency_code].id)
                session.add(row)
            row.agency_id, row.active = agencies[agency_code].id, True
        elif row is not None and row.active:
            row.active = False

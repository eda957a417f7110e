"""Reference rows by code, refusing unknown or retired ones with a field message."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import N_, InvalidInput
from app.models import Agency, Category, District
from app.reference.cache import reference_cache


def active_category(session: Session, code: str, *, field: str = "category") -> Category:
    category = reference_cache.snapshot(session).categories.get(code)
    if category is None:
        raise InvalidInput("validation.failed", fields={field: [N_("field.unknown_category")]}, code=code)
    return session.merge(category, load=False)


def active_district(session: Session, code: str, *, field: str = "district") -> District:
    district = reference_cache.snapshot(session).districts.get(code)
    if district is None:
        raise InvalidInput("validation.failed", fields={field: [N_("field.unknown_district")]}, code=code)
    return session.merge(district, load=False)


def active_agency(session: Session, code: str, *, field: str = "agency") -> Agency:
    agency = reference_cache.snapshot(session).agencies.get(code)
    if agency is None:
        raise InvalidInput("validation.failed", fields={field: [N_("field.unknown_agency")]}, code=code)
    return session.merge(agency, load=False)


def rule_agency(session: Session, category: Category, district: District | None) -> Agency | None:
    """The active agency an active routing rule names for this category in this district, if any."""
    if district is None:
        return None
    agency = reference_cache.snapshot(session).rules.get((category.id, district.id))
    return None if agency is None else session.merge(agency, load=False)


def active_districts(session: Session) -> Sequence[District]:
    return session.scalars(select(District).where(District.active.is_(True)).order_by(District.id)).all()


def active_categories(session: Session) -> Sequence[Category]:
    return session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.id)).all()


def active_agencies(session: Session) -> Sequence[Agency]:
    return session.scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.id)).all()

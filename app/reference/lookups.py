"""Reference rows by code, refusing unknown or retired ones with a field message."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.models import Agency, Category, District, RoutingRule


def active_category(session: Session, code: str, *, field: str = "category") -> Category:
    category = session.scalar(select(Category).where(Category.code == code, Category.active.is_(True)))
    if category is None:
        raise InvalidInput("validation.failed", fields={field: ["field.unknown_category"]}, code=code)
    return category


def active_district(session: Session, code: str, *, field: str = "district") -> District:
    district = session.scalar(select(District).where(District.code == code, District.active.is_(True)))
    if district is None:
        raise InvalidInput("validation.failed", fields={field: ["field.unknown_district"]}, code=code)
    return district


def active_agency(session: Session, code: str, *, field: str = "agency") -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code, Agency.active.is_(True)))
    if agency is None:
        raise InvalidInput("validation.failed", fields={field: ["field.unknown_agency"]}, code=code)
    return agency


def rule_agency(session: Session, category: Category, district: District | None) -> Agency | None:
    """The active agency an active routing rule names for this category in this district, if any."""
    if district is None:
        return None
    statement = (
        select(Agency)
        .join(RoutingRule, RoutingRule.agency_id == Agency.id)
        .where(
            RoutingRule.category_id == category.id,
            RoutingRule.district_id == district.id,
            RoutingRule.active.is_(True),
            Agency.active.is_(True),
        )
    )
    agency: Agency | None = session.scalar(statement)
    return agency


def active_districts(session: Session) -> Sequence[District]:
    return session.scalars(select(District).where(District.active.is_(True)).order_by(District.id)).all()


def active_categories(session: Session) -> Sequence[Category]:
    return session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.id)).all()


def active_agencies(session: Session) -> Sequence[Agency]:
    return session.scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.id)).all()

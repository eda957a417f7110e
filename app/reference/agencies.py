"""Agencies edited from the console: names, district, active, duty and supervisor phones; each change logged.

Phones are checked with phonenumbers as at seeding (E.164, a Taiwanese number, not a short code); a
landline stays allowed and is shown as "calls only" (it cannot take the dispatch SMS).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import phones
from app.access import Actor
from app.admin_audit import check_not_stale, record_admin_change
from app.db import write_transaction
from app.errors import N_, InvalidInput, NotFound
from app.models import Agency, District
from app.reference.cache import reference_cache


@dataclass(frozen=True)
class AgencyInput:
    name_zh: str
    name_en: str
    district: str | None  # a district code, or None for a city-wide bureau
    active: bool
    duty_phones: str  # as typed: one or more numbers, separated by new lines, commas or 、
    supervisor_phones: str


def snapshot(agency: Agency) -> dict[str, Any]:
    """What an administrator can change of an agency, as the change log keeps it."""
    return {
        "code": agency.code,
        "name_zh": agency.name_zh,
        "name_en": agency.name_en,
        "district": agency.district.code if agency.district else None,
        "active": agency.active,
        "duty_phones": list(agency.duty_phones),
        "supervisor_phones": list(agency.supervisor_phones),
    }


def split_phones(text: str) -> list[str]:
    for separator in ("\n", "、", ";", "；", "，"):
        text = text.replace(separator, ",")
    return [part.strip() for part in text.split(",") if part.strip()]


def _phones(text: str, field: str, errors: dict[str, list[str]], *, at_least_one: bool) -> list[str]:
    numbers = []
    for raw in split_phones(text):
        normalised = phones.try_taiwanese(raw)
        if normalised is None:
            errors.setdefault(field, []).append(N_("agency.phone_invalid"))
            continue
        if normalised not in numbers:
            numbers.append(normalised)
    if at_least_one and not numbers and field not in errors:
        errors[field] = [N_("agency.duty_phone_required")]
    return numbers


def _values(session: Session, given: AgencyInput) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if not given.name_zh.strip() or len(given.name_zh) > 80:
        errors["name_zh"] = [N_("field.required")]
    if not given.name_en.strip() or len(given.name_en) > 160:
        errors["name_en"] = [N_("field.required")]
    district = None
    if given.district:
        district = session.scalar(select(District).where(District.code == given.district))
        if district is None:
            errors["district"] = [N_("field.unknown_district")]
    duty = _phones(given.duty_phones, "duty_phones", errors, at_least_one=True)
    supervisors = _phones(given.supervisor_phones, "supervisor_phones", errors, at_least_one=False)
    if errors:
        raise InvalidInput("validation.failed", fields=errors)
    return {
        "name_zh": given.name_zh.strip(),
        "name_en": given.name_en.strip(),
        "district": district,
        "active": given.active,
        "duty_phones": duty,
        "supervisor_phones": supervisors,
    }


def update_agency(
    *, session: Session, actor: Actor, code: str, given: AgencyInput, seen: dict[str, Any] | None
) -> Agency:
    """Change an agency; 422 with a message beside each bad field, 409 when someone changed it since it was read."""
    with write_transaction(session):
        agency = session.scalar(select(Agency).where(Agency.code == code))
        if agency is None:
            raise NotFound("agency.not_found")
        before = snapshot(agency)
        check_not_stale(before, seen)
        for name, value in _values(session, given).items():
            setattr(agency, name, value)
        session.flush()
        after = snapshot(agency)
        if after != before:
            record_admin_change(
                session,
                actor=actor,
                object_type="agency",
                object_key=code,
                action="updated",
                before=before,
                after=after,
            )
    reference_cache.clear()  # intake and alerting in this process see it now, the others within SNAPSHOT_TTL
    return agency


def create_agency(*, session: Session, actor: Actor, code: str, given: AgencyInput) -> Agency:
    code = code.strip()
    if not code or len(code) > 40 or not code.replace("_", "").replace("-", "").isalnum():
        raise InvalidInput("validation.failed", fields={"code": [N_("agency.bad_code")]})
    with write_transaction(session):
        if session.scalar(select(Agency.id).where(Agency.code == code)) is not None:
            raise InvalidInput("validation.failed", fields={"code": [N_("agency.code_taken")]})
        agency = Agency(code=code, **_values(session, given))
        session.add(agency)
        session.flush()
        record_admin_change(
            session,
            actor=actor,
            object_type="agency",
            object_key=code,
            action="created",
            before=None,
            after=snapshot(agency),
        )
    reference_cache.clear()
    return agency


def find_agency(session: Session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise NotFound("agency.not_found")
    return agency


def list_agencies(session: Session) -> list[Agency]:
    return list(session.scalars(select(Agency).order_by(Agency.active.desc(), Agency.code)))

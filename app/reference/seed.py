"""`flask seed`: load the reference YAML into the database, idempotently.

Rows are matched by code. The first seed loads everything; after it the database is the truth
(administrators edit it in the pages): a re-run adds what is new in the files and reports, without
overwriting, what differs from the database and what only the database has. With `force` the
files win: differing rows are updated, missing ones deactivated (never deleted, since cases may
refer to them). See app.reference.seed_apply.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import phones
from app.db import write_transaction
from app.errors import InvalidInput
from app.models import Agency, Category, District, RoutingRule
from app.reference.cache import reference_cache
from app.reference.files import ReferenceFileError, load_entries, required, where
from app.reference.ladders import read_ladders, store_ladders
from app.reference.policies import read_policies, store_policies
from app.reference.seed_apply import Seeding, SeedReport, apply_row, missing_rows
from app.vocabulary import CaseType
from sla.policy import WORKING_DAY


def _unique_codes(path: Path, entries: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for entry in entries:
        code = required(path, entry, "code")
        if code in seen:
            raise ReferenceFileError(f"{where(path, entry)}: code {code!r} appears twice")
        seen.add(code)


def _phones(path: Path, entry: dict[str, Any], field: str, *, at_least_one: bool) -> list[str]:
    raw = entry.get(field) or []
    if not isinstance(raw, list):
        raise ReferenceFileError(f"{where(path, entry)}: '{field}' must be a list of phone numbers")
    if at_least_one and not raw:
        raise ReferenceFileError(f"{where(path, entry)}: agency {entry['code']} needs at least one '{field}' number")
    normalised = []
    for number in raw:
        try:
            normalised.append(phones.normalise(str(number)))
        except InvalidInput as exc:
            raise ReferenceFileError(
                f"{where(path, entry)}: '{field}' has {number!r}, not a valid phone number"
            ) from exc
    return normalised


def _seed_districts(seeding: Seeding, path: Path) -> dict[str, District]:
    session = seeding.session
    entries = load_entries(path, "districts")
    _unique_codes(path, entries)
    existing = {row.code: row for row in session.scalars(select(District))}
    kept: dict[str, District] = {}
    for entry in entries:
        values = {"name_zh": required(path, entry, "name_zh"), "name_en": required(path, entry, "name_en")}
        code = entry["code"]
        row = existing.get(code)
        kept[code] = apply_row(seeding, "districts", "district", code, row, partial(District, code=code), values)
    session.flush()
    missing_rows(seeding, "districts", "district", list(existing.items()), {row.id for row in kept.values()})
    seeding.names["district_id"] = {row.id: code for code, row in existing.items()} | {
        row.id: code for code, row in kept.items()
    }
    return kept


def _seed_agencies(seeding: Seeding, path: Path, districts: dict[str, District]) -> dict[str, Agency]:
    session = seeding.session
    entries = load_entries(path, "agencies")
    _unique_codes(path, entries)
    existing = {row.code: row for row in session.scalars(select(Agency))}
    kept: dict[str, Agency] = {}
    for entry in entries:
        district_code = entry.get("district")
        if district_code is not None and district_code not in districts:
            raise ReferenceFileError(f"{where(path, entry)}: unknown district {district_code!r}")
        values = {
            "name_zh": required(path, entry, "name_zh"),
            "name_en": required(path, entry, "name_en"),
            "duty_phones": _phones(path, entry, "duty_phones", at_least_one=True),
            "supervisor_phones": _phones(path, entry, "supervisor_phones", at_least_one=False),
            "district_id": districts[district_code].id if district_code else None,
        }
        code = entry["code"]
        row = existing.get(code)
        kept[code] = apply_row(seeding, "agencies", "agency", code, row, partial(Agency, code=code), values)
    session.flush()
    missing_rows(seeding, "agencies", "agency", list(existing.items()), {row.id for row in kept.values()})
    seeding.names["agency_id"] = {row.id: code for code, row in existing.items()} | {
        row.id: code for code, row in kept.items()
    }
    seeding.names["default_agency_id"] = seeding.names["agency_id"]
    return kept


def _seed_categories(seeding: Seeding, path: Path, agencies: dict[str, Agency]) -> dict[str, Category]:
    session = seeding.session
    entries = load_entries(path, "categories")
    _unique_codes(path, entries)
    existing = {row.code: row for row in session.scalars(select(Category))}
    kept: dict[str, Category] = {}
    for entry in entries:
        case_type = required(path, entry, "case_type")
        if case_type not in {member.value for member in CaseType}:
            raise ReferenceFileError(
                f"{where(path, entry)}: case_type {case_type!r} is not one of {[m.value for m in CaseType]}"
            )
        agency_code = entry.get("default_agency")
        if agency_code is not None and agency_code not in agencies:
            raise ReferenceFileError(f"{where(path, entry)}: unknown default_agency {agency_code!r}")
        values = {
            "name_zh": required(path, entry, "name_zh"),
            "name_en": required(path, entry, "name_en"),
            "case_type": CaseType(case_type),
            "default_agency_id": agencies[agency_code].id if agency_code else None,
            "urgent": bool(entry.get("urgent", False)),
        }
        code = entry["code"]
        row = existing.get(code)
        kept[code] = apply_row(seeding, "categories", "category", code, row, partial(Category, code=code), values)
    session.flush()
    missing_rows(seeding, "categories", "category", list(existing.items()), {row.id for row in kept.values()})
    return kept


def _seed_routing(
    seeding: Seeding,
    path: Path,
    categories: dict[str, Category],
    districts: dict[str, District],
    agencies: dict[str, Agency],
) -> None:
    session = seeding.session
    entries = load_entries(path, "rules")
    existing = {(row.category_id, row.district_id): row for row in session.scalars(select(RoutingRule))}
    kept: set[int] = set()
    seen: set[tuple[int, int]] = set()
    for entry in entries:
        for field, known in (("category", categories), ("district", districts), ("agency", agencies)):
            if required(path, entry, field) not in known:
                raise ReferenceFileError(f"{where(path, entry)}: unknown {field} {entry[field]!r}")
        key = (categories[entry["category"]].id, districts[entry["district"]].id)
        if key in seen:
            raise ReferenceFileError(
                f"{where(path, entry)}: a second rule for {entry['category']} in {entry['district']}"
            )
        seen.add(key)
        name = f"{entry['category']}@{entry['district']}"
        row = apply_row(
            seeding,
            "routing_rules",
            "routing_rule",
            name,
            existing.get(key),
            partial(RoutingRule, category_id=key[0], district_id=key[1]),
            {"agency_id": agencies[entry["agency"]].id},
        )
        session.flush()
        kept.add(row.id)
    category_codes = {row.id: code for code, row in categories.items()} | {
        row.id: row.code for row in session.scalars(select(Category))
    }
    district_codes = seeding.names.get("district_id", {})
    named = [(f"{category_codes.get(c, c)}@{district_codes.get(d, d)}", row) for (c, d), row in existing.items()]
    missing_rows(seeding, "routing_rules", "routing_rule", named, kept)


def seed_reference_data(
    *,
    session: Session,
    directory: Path,
    working_day: timedelta = WORKING_DAY,
    force: bool = False,
    record_changes: bool = True,
) -> SeedReport:
    """Load districts, agencies, categories, routing rules, SLA policies and alert ladders in one transaction:
    what is new is added; what differs is reported (`report.differences`) and, with `force`, overwritten.
    Each change is an entry in the change log unless `record_changes` is False (test fixtures)."""
    report = SeedReport()
    seeding = Seeding(session, report, force=force, record_changes=record_changes)
    with write_transaction(session):
        districts = _seed_districts(seeding, directory / "districts.yaml")
        agencies = _seed_agencies(seeding, directory / "agencies.yaml", districts)
        categories = _seed_categories(seeding, directory / "categories.yaml", agencies)
        _seed_routing(seeding, directory / "routing.yaml", categories, districts, agencies)
        policies = read_policies(
            directory / "sla.yaml", categories=categories, agencies=agencies, working_day=working_day
        )
        store_policies(session, policies, report, seeding)
        ladders = read_ladders(directory / "alerts.yaml", categories=set(categories), agencies=set(agencies))
        store_ladders(session, ladders, report, seeding)
    reference_cache.clear()
    return report

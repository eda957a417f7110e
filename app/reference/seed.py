"""`flask seed`: load the reference YAML into the database, idempotently.

Rows are matched by code: new ones are inserted, changed ones updated, and rows no longer
in the files are deactivated (never deleted, since cases may refer to them).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

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
from app.vocabulary import CaseType
from sla.policy import WORKING_DAY

Row = TypeVar("Row", District, Agency, Category, RoutingRule)


class SeedReport(Counter[str]):
    """Counts like 'districts.created' or 'agencies.deactivated'."""

    def summary(self) -> str:
        return ", ".join(f"{key} {value}" for key, value in sorted(self.items()) if value) or "no changes"


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


def _apply(session: Session, report: SeedReport, table: str, row: Row | None, new: Row, values: dict[str, Any]) -> Row:
    if row is None:
        for name, value in values.items():
            setattr(new, name, value)
        new.active = True
        session.add(new)
        report[f"{table}.created"] += 1
        return new
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    if not row.active:
        changed["active"] = True
    for name, value in changed.items():
        setattr(row, name, value)
    report[f"{table}.updated" if changed else f"{table}.unchanged"] += 1
    return row


def _deactivate_missing(report: SeedReport, table: str, rows: list[Any], kept: set[int]) -> None:
    for row in rows:
        if row.id not in kept and row.active:
            row.active = False
            report[f"{table}.deactivated"] += 1


def _seed_districts(session: Session, path: Path, report: SeedReport) -> dict[str, District]:
    entries = load_entries(path, "districts")
    _unique_codes(path, entries)
    existing = {row.code: row for row in session.scalars(select(District))}
    kept: dict[str, District] = {}
    for entry in entries:
        values = {"name_zh": required(path, entry, "name_zh"), "name_en": required(path, entry, "name_en")}
        code = entry["code"]
        kept[code] = _apply(session, report, "districts", existing.get(code), District(code=code), values)
    session.flush()
    _deactivate_missing(report, "districts", list(existing.values()), {row.id for row in kept.values()})
    return kept


def _seed_agencies(
    session: Session, path: Path, report: SeedReport, districts: dict[str, District]
) -> dict[str, Agency]:
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
        kept[code] = _apply(session, report, "agencies", existing.get(code), Agency(code=code), values)
    session.flush()
    _deactivate_missing(report, "agencies", list(existing.values()), {row.id for row in kept.values()})
    return kept


def _seed_categories(
    session: Session, path: Path, report: SeedReport, agencies: dict[str, Agency]
) -> dict[str, Category]:
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
        kept[code] = _apply(session, report, "categories", existing.get(code), Category(code=code), values)
    session.flush()
    _deactivate_missing(report, "categories", list(existing.values()), {row.id for row in kept.values()})
    return kept


def _seed_routing(
    session: Session,
    path: Path,
    report: SeedReport,
    categories: dict[str, Category],
    districts: dict[str, District],
    agencies: dict[str, Agency],
) -> None:
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
        new = RoutingRule(category_id=key[0], district_id=key[1])
        row = _apply(
            session, report, "routing_rules", existing.get(key), new, {"agency_id": agencies[entry["agency"]].id}
        )
        session.flush()
        kept.add(row.id)
    _deactivate_missing(report, "routing_rules", list(existing.values()), kept)


def seed_reference_data(*, session: Session, directory: Path, working_day: timedelta = WORKING_DAY) -> SeedReport:
    """Load districts, agencies, categories, routing rules, SLA policies and alert ladders in one transaction."""
    report = SeedReport()
    with write_transaction(session):
        districts = _seed_districts(session, directory / "districts.yaml", report)
        agencies = _seed_agencies(session, directory / "agencies.yaml", report, districts)
        categories = _seed_categories(session, directory / "categories.yaml", report, agencies)
        _seed_routing(session, directory / "routing.yaml", report, categories, districts, agencies)
        policies = read_policies(
            directory / "sla.yaml", categories=categories, agencies=agencies, working_day=working_day
        )
        store_policies(session, policies, report)
        ladders = read_ladders(directory / "alerts.yaml", categories=set(categories), agencies=set(agencies))
        store_ladders(session, ladders, report)
    reference_cache.clear()
    return report

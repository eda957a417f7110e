"""How `flask seed` treats rows the database already has: after the first seed the database is the
truth (administrators edit it in the pages), so a row that differs from the files is reported and
kept, unless `--force` overwrites it. Every change the seed makes goes to the change log, by the
command line (no user)."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.admin_audit import record_admin_change


class SeedReport(Counter[str]):
    """Counts like 'districts.created' or 'agencies.differs', and a line for each difference found."""

    def __init__(self) -> None:
        super().__init__()
        self.differences: list[str] = []

    def summary(self) -> str:
        return ", ".join(f"{key} {value}" for key, value in sorted(self.items()) if value) or "no changes"


@dataclass
class Seeding:
    """One run of the seed: where it reports, whether it overwrites, whether it writes the change log."""

    session: Session
    report: SeedReport
    force: bool = False
    record_changes: bool = True
    # Ids shown as codes in differences and in the change log (e.g. default_agency_id -> agency code).
    names: dict[str, dict[int, str]] = field(default_factory=dict)

    def shown(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Values as people read them: enums by value, ids by code."""
        out: dict[str, Any] = {}
        for name, value in values.items():
            if name in self.names and value is not None:
                out[name.removesuffix("_id")] = self.names[name].get(value, value)
            elif isinstance(value, enum.Enum):
                out[name] = value.value
            else:
                out[name] = value
        return out

    def differ(self, table: str, key: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        """Report a difference between the database and the files, saying whether it was overwritten."""
        what = "overwritten" if self.force else "kept (database differs from the file; --force overwrites)"
        changes = "; ".join(
            f"{name}: database {before.get(name)!r}, file {after.get(name)!r}"
            for name in sorted(before.keys() | after.keys())
            if before.get(name) != after.get(name)
        )
        self.report.differences.append(f"{table} {key}: {what}: {changes}")

    def audit(
        self, object_type: str, key: str, action: str, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> None:
        if self.record_changes:
            record_admin_change(
                self.session,
                actor=None,
                object_type=object_type,
                object_key=key,
                action=action,
                before=before,
                after=after,
            )


def apply_row(
    seeding: Seeding,
    table: str,
    object_type: str,
    key: str,
    row: Any | None,
    make: Callable[[], Any],
    values: dict[str, Any],
) -> Any:
    """Create a row new in the files; report (and with force, overwrite) one that differs from them."""
    report = seeding.report
    if row is None:
        row = make()
        for name, value in values.items():
            setattr(row, name, value)
        row.active = True
        seeding.session.add(row)
        report[f"{table}.created"] += 1
        seeding.audit(object_type, key, "created", None, {**seeding.shown(values), "active": True})
        return row
    current = {name: getattr(row, name) for name in values}
    changed = {name: value for name, value in values.items() if current[name] != value}
    if not row.active:
        changed["active"] = True
    if not changed:
        report[f"{table}.unchanged"] += 1
        return row
    before = {**seeding.shown(current), "active": row.active}
    after = {**seeding.shown(values), "active": True}
    seeding.differ(table, key, before, after)
    if not seeding.force:
        report[f"{table}.differs"] += 1
        return row
    for name, value in changed.items():
        setattr(row, name, value)
    report[f"{table}.updated"] += 1
    seeding.audit(object_type, key, "updated", before, after)
    return row


def missing_rows(seeding: Seeding, table: str, object_type: str, rows: list[tuple[str, Any]], kept: set[int]) -> None:
    """Rows no longer in the files: reported; with force, deactivated (never deleted, cases refer to them)."""
    for key, row in rows:
        if row.id in kept or not row.active:
            continue
        if not seeding.force:
            seeding.report[f"{table}.only_in_database"] += 1
            seeding.report.differences.append(f"{table} {key}: only in the database (kept; --force deactivates it)")
            continue
        row.active = False
        seeding.report[f"{table}.deactivated"] += 1
        seeding.report.differences.append(f"{table} {key}: not in the files: deactivated")
        seeding.audit(object_type, key, "deactivated", {"active": True}, {"active": False})

"""Rules kept in versions (SLA policies, alert ladders): a changed rule gets a new row, the old one stays."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AlertLadderVersion, SlaPolicyVersion

if TYPE_CHECKING:
    from app.reference.seed_apply import Seeding

Version = TypeVar("Version", SlaPolicyVersion, AlertLadderVersion)


class Rule(Protocol):
    @property
    def key(self) -> str: ...

    def to_spec(self) -> dict[str, Any]: ...


def store_versions(
    session: Session,
    model: type[Version],
    rules: Iterable[Rule],
    report: dict[str, int],
    name: str,
    seeding: Seeding | None = None,
) -> None:
    """Insert new versions for new rules; for changed ones, and to retire the ones no longer in the file
    (never deleted), only when the seed is forced: otherwise the database's versions stay and the
    difference is reported."""
    force = seeding is None or seeding.force
    object_type = "sla_policy" if model is SlaPolicyVersion else "alert_ladder"
    current = {row.key: row for row in session.scalars(select(model).where(model.current))}
    latest: dict[str, int] = {
        key: version for key, version in session.execute(select(model.key, model.version).order_by(model.version))
    }
    for rule in rules:
        row = current.pop(rule.key, None)
        spec = rule.to_spec()
        if row is not None and row.spec == spec:
            report[f"{name}.unchanged"] += 1
            continue
        version = latest.get(rule.key, 0) + 1
        if row is not None and seeding is not None:
            seeding.differ(name, rule.key, row.spec, spec)
        if row is not None and not force:
            report[f"{name}.differs"] += 1
            continue
        if row is not None:
            row.current = False
        session.add(model(key=rule.key, version=version, spec=spec, current=True))
        report[f"{name}.updated" if row is not None else f"{name}.created"] += 1
        if seeding is not None:
            before = {"version": row.version, **row.spec} if row is not None else None
            seeding.audit(object_type, rule.key, "updated" if row else "created", before, {"version": version, **spec})
    for retired in current.values():
        if not force:
            report[f"{name}.only_in_database"] += 1
            if seeding is not None:
                seeding.report.differences.append(f"{name} {retired.key}: only in the database (kept)")
            continue
        retired.current = False
        report[f"{name}.retired"] += 1
        if seeding is not None:
            seeding.audit(object_type, retired.key, "retired", {"version": retired.version, **retired.spec}, None)

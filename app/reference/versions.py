"""Rules kept in versions (SLA policies, alert ladders): a changed rule gets a new row, the old one stays."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access import Actor
from app.admin_audit import changed_fields, record_admin_change
from app.errors import Conflict, NotFound
from app.models import AlertLadderVersion, Case, SlaPolicyVersion
from app.vocabulary import OPEN_STATUSES

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
    object_type = _object_type(model)
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


def _object_type(model: type[Version]) -> str:
    return "sla_policy" if model is SlaPolicyVersion else "alert_ladder"


# --- Edited by administrators: a change is the next version; open cases keep the one they started on ----------


def open_cases_by_version(session: Session, model: type[Version]) -> dict[tuple[str, int], int]:
    """How many open cases run on each (key, version) of these rules."""
    key, version = (
        (Case.sla_policy, Case.sla_policy_version)
        if model is SlaPolicyVersion
        else (Case.alert_ladder, Case.alert_ladder_version)
    )
    rows = session.execute(
        select(key, version, func.count())
        .where(Case.status.in_(OPEN_STATUSES), key.is_not(None), version.is_not(None))
        .group_by(key, version)
    )
    return {(str(key), int(version or 0)): count for key, version, count in rows}


def current_with_open_cases(session: Session, model: type[Version]) -> list[tuple[Version, dict[int, int]]]:
    """Every current rule, by key, with the open cases on each of its versions (the current one included)."""
    counts = open_cases_by_version(session, model)
    return [
        (row, {version: count for (key, version), count in sorted(counts.items()) if key == row.key})
        for row in session.scalars(select(model).where(model.current).order_by(model.key))
    ]


def current_row(
    session: Session, model: type[Version], key: str, *, not_found: str, for_update: bool = False
) -> Version:
    """The current version of a rule (locked for an edit), or NotFound with the caller's message code."""
    query = select(model).where(model.key == key, model.current)
    row = session.scalar(query.with_for_update() if for_update else query)
    if row is None:
        raise NotFound(not_found, key=key)
    return row


def refuse_stale(
    session: Session, row: Version, seen_version: int, values_of: Callable[[dict[str, Any]], dict[str, str]]
) -> None:
    """409 when the form was read from an older version: naming the fields changed since and, as the form
    shows them, the current values."""
    if row.version == seen_version:
        return
    model = type(row)
    seen = session.scalar(select(model.spec).where(model.key == row.key, model.version == seen_version))
    raise Conflict(
        "admin.stale", changed=changed_fields(seen, row.spec), version=row.version, current=values_of(row.spec)
    )


def store_next_version(session: Session, *, actor: Actor, row: Version, spec: dict[str, Any]) -> Version | None:
    """The edited spec as the rule's next version, with its change-log entry, inside the caller's transaction;
    None when it is the current spec (nothing stored)."""
    if spec == row.spec:
        return None
    row.current = False
    session.flush()  # the old row stops being current before the new one starts
    stored = type(row)(key=row.key, version=row.version + 1, spec=spec, current=True)
    session.add(stored)
    record_admin_change(
        session,
        actor=actor,
        object_type=_object_type(type(row)),
        object_key=row.key,
        action="updated",
        before={"version": row.version, **row.spec},
        after={"version": stored.version, **stored.spec},
    )
    return stored

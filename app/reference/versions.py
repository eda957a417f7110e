"""Rules kept in versions (SLA policies, alert ladders): a changed rule gets a new row, the old one stays."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AlertLadderVersion, SlaPolicyVersion

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
) -> None:
    """Insert new versions for new or changed rules; retire the ones no longer in the file (never deleted)."""
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
        if row is not None:
            row.current = False
        session.add(model(key=rule.key, version=latest.get(rule.key, 0) + 1, spec=spec, current=True))
        report[f"{name}.updated" if row is not None else f"{name}.created"] += 1
    for retired in current.values():
        retired.current = False
        report[f"{name}.retired"] += 1

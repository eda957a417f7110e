"""The administrators' change log: every change to a setting is one appended AdminChange."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import Actor
from app.db import utcnow
from app.errors import N_, Conflict
from app.models import AdminChange
from app.vocabulary import Role

COMMAND_LINE = "command line"  # the actor name of changes made without a signed-in user
# Who `flask user …` acts as: an administrator with no user row, logged by that name.
COMMAND_LINE_ACTOR = Actor(user_id=None, username=COMMAND_LINE, role=Role.ADMIN)


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """The names of the fields whose values differ between two snapshots, in a stable order."""
    before, after = before or {}, after or {}
    return sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))


def record_admin_change(
    session: Session,
    *,
    actor: Actor | None,
    object_type: str,
    object_key: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    occurred_at: datetime | None = None,
) -> AdminChange:
    """Append one change in the caller's transaction; `before`/`after` are JSON-ready snapshots."""
    change = AdminChange(
        occurred_at=occurred_at or utcnow(),
        actor_id=actor.user_id if actor else None,
        actor_name=actor.username if actor else COMMAND_LINE,
        object_type=object_type,
        object_key=object_key,
        action=action,
        before=before,
        after=after,
    )
    session.add(change)
    return change


class StaleEdit(Conflict):
    """Someone changed the object since the form was read: `changes` says which fields, from what to what."""

    def __init__(self, changes: dict[str, tuple[Any, Any]]) -> None:
        super().__init__(N_("admin.stale"), fields={name: [N_("admin.stale_field")] for name in changes})
        self.changes = changes


def check_not_stale(current: dict[str, Any], seen: dict[str, Any] | None) -> None:
    """Refuse (409) when a field the form showed has changed since: `seen` is the snapshot the form was built on."""
    if seen is None:
        return
    changes = {name: (seen[name], current.get(name)) for name in seen if current.get(name) != seen[name]}
    if changes:
        raise StaleEdit(changes)


def list_changes(
    session: Session,
    *,
    object_type: str | None = None,
    object_key: str | None = None,
    actor_name: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> tuple[list[AdminChange], int | None]:
    """One page of changes, newest first, and the id to continue before (keyset: no OFFSET to walk)."""
    query = select(AdminChange).order_by(AdminChange.id.desc()).limit(limit + 1)
    if object_type:
        query = query.where(AdminChange.object_type == object_type)
    if object_key:
        query = query.where(AdminChange.object_key == object_key)
    if actor_name:
        query = query.where(AdminChange.actor_name == actor_name)
    if before_id is not None:
        query = query.where(AdminChange.id < before_id)
    rows = list(session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more else None)

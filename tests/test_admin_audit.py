"""The administrators' change log keeps who changed what from what to what, and cannot be rewritten."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from app.admin_audit import COMMAND_LINE, changed_fields, record_admin_change
from app.db import db
from app.models import AdminChange
from tests.factories import Factory


def test_a_change_is_kept_with_its_author_and_both_sides(factory: Factory) -> None:
    admin = factory.named_user("admin", "admin").actor
    record_admin_change(
        db.session,
        actor=admin,
        object_type="agency",
        object_key="PWB",
        action="updated",
        before={"duty_phones": ["+886912345678"]},
        after={"duty_phones": ["+886987654321"]},
    )
    db.session.commit()
    change = db.session.scalars(select(AdminChange)).one()
    assert (change.actor_id, change.actor_name) == (admin.user_id, admin.username)
    assert (change.object_type, change.object_key, change.action) == ("agency", "PWB", "updated")
    assert change.before == {"duty_phones": ["+886912345678"]}
    assert change.after == {"duty_phones": ["+886987654321"]}


def test_a_change_without_a_user_is_the_command_line_s(factory: Factory) -> None:
    record_admin_change(
        db.session, actor=None, object_type="user", object_key="admin", action="created", before=None, after={}
    )
    db.session.commit()
    assert db.session.scalars(select(AdminChange.actor_name)).one() == COMMAND_LINE


def test_changes_cannot_be_updated_or_deleted(factory: Factory) -> None:
    record_admin_change(
        db.session, actor=None, object_type="user", object_key="amy", action="created", before=None, after={"a": 1}
    )
    db.session.commit()
    for statement in ("UPDATE admin_changes SET action = 'forged'", "DELETE FROM admin_changes"):
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.scalars(select(AdminChange.action)).one() == "created"


def test_changed_fields_name_only_what_differs() -> None:
    assert changed_fields({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == ["b", "c"]
    assert changed_fields(None, {"a": 1}) == ["a"]
    assert changed_fields({"a": 1}, {"a": 1}) == []

"""Administering users: each change logged; refusals (last admin, stale edit, bad input) change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.access import Actor
from app.admin_audit import StaleEdit
from app.db import db, utcnow
from app.errors import Conflict, InvalidInput
from app.models import AdminChange, ApiToken, User
from app.users import admin
from app.users.console_sessions import actor_for_console_session, start_console_session
from app.users.service import actor_for_token, check_password, create_user
from app.vocabulary import Role

ROOT = Actor(user_id=None, username="root-test", role=Role.ADMIN)


def _changes() -> list[tuple[str, str, str]]:
    rows = db.session.scalars(select(AdminChange).order_by(AdminChange.id))
    return [(row.object_type, row.object_key, row.action) for row in rows]


def _state() -> tuple[object, ...]:
    db.session.expire_all()
    users = db.session.execute(
        select(User.username, User.role, User.active, User.agency_id, User.display_name, User.password_hash).order_by(
            User.id
        )
    ).all()
    tokens = db.session.execute(select(ApiToken.id, ApiToken.revoked_at).order_by(ApiToken.id)).all()
    changes = db.session.scalar(select(func.count()).select_from(AdminChange))
    return tuple(users), tuple(tokens), changes


def test_a_new_agency_user_gets_a_temporary_password_to_change_and_the_change_is_logged(app) -> None:
    created = admin.create_account(
        session=db.session, actor=ROOT, username="lin", display_name="林承辦", role=Role.AGENCY, agency_code="PWD-MAINT"
    )
    assert created.user.must_change_password and created.user.agency is not None
    assert check_password(db.session, "lin", created.temporary_password) is not None
    change = db.session.scalar(select(AdminChange))
    assert change is not None and change.action == "created" and change.actor_name == "root-test"
    assert (
        change.after is not None and change.after["agency"] == "PWD-MAINT" and change.after["password"] == "temporary"
    )
    assert "password_hash" not in change.after and created.temporary_password not in str(change.after)


@pytest.mark.parametrize(
    ("username", "role", "agency", "field"),
    [
        ("x", Role.AGENT, None, "username"),  # too short
        ("ok-name", Role.AGENCY, None, "agency"),  # an agency user needs an agency
        ("ok-name", Role.AGENT, "PWD-MAINT", "agency"),  # and only they have one
        ("ok-name", Role.AGENCY, "NOPE", "agency"),
    ],
)
def test_bad_new_users_are_refused_beside_the_field_and_nothing_changes(app, username, role, agency, field) -> None:
    before = _state()
    with pytest.raises(InvalidInput) as refused:
        admin.create_account(
            session=db.session, actor=ROOT, username=username, display_name="名", role=role, agency_code=agency
        )
    assert field in refused.value.fields
    assert _state() == before


def test_deactivating_ends_sessions_and_refuses_tokens_and_reactivating_lets_them_sign_in(app) -> None:
    issued = create_user(session=db.session, username="chen", role=Role.AGENT, password="password-123")
    cookie = start_console_session(db.session, user_id=issued.user.id, lifetime=timedelta(hours=1))
    assert actor_for_token(db.session, issued.token) is not None
    admin.set_active(session=db.session, actor=ROOT, username="chen", active=False)
    assert actor_for_console_session(db.session, cookie) is None
    assert actor_for_token(db.session, issued.token) is None
    assert check_password(db.session, "chen", "password-123") is None
    admin.set_active(session=db.session, actor=ROOT, username="chen", active=True)
    assert check_password(db.session, "chen", "password-123") is not None
    assert actor_for_token(db.session, issued.token) is None  # revoked tokens stay revoked
    assert _changes()[-2:] == [("user", "chen", "deactivated"), ("user", "chen", "reactivated")]


def test_the_last_active_admin_can_be_neither_deactivated_nor_demoted(app) -> None:
    create_user(session=db.session, username="boss", role=Role.ADMIN, password="password-123")
    before = _state()
    with pytest.raises(Conflict) as refused:
        admin.set_active(session=db.session, actor=ROOT, username="boss", active=False)
    assert refused.value.code == "admin.last_admin"
    with pytest.raises(Conflict):
        admin.update_account(
            session=db.session,
            actor=ROOT,
            username="boss",
            display_name="boss",
            role=Role.AGENT,
            agency_code=None,
            language=None,
            seen=None,
        )
    assert _state() == before
    create_user(session=db.session, username="boss2", role=Role.ADMIN, password="password-123")
    admin.set_active(session=db.session, actor=ROOT, username="boss", active=False)  # now there is another


def test_a_stale_edit_is_refused_with_what_changed_and_nothing_changes(app) -> None:
    create_user(session=db.session, username="wang", role=Role.AGENT, password="password-123")
    user = admin.find_user(db.session, "wang")
    assert user is not None
    seen = {name: admin.snapshot(user)[name] for name in admin.EDITABLE}
    admin.update_account(
        session=db.session,
        actor=ROOT,
        username="wang",
        display_name="王小明",
        role=Role.AGENT,
        agency_code=None,
        language=None,
        seen=seen,
    )
    before = _state()
    with pytest.raises(StaleEdit) as refused:
        admin.update_account(
            session=db.session,
            actor=ROOT,
            username="wang",
            display_name="王大明",
            role=Role.SUPERVISOR,
            agency_code=None,
            language="en",
            seen=seen,
        )
    assert refused.value.status == 409
    assert refused.value.changes == {"display_name": ("wang", "王小明")}
    assert _state() == before


def test_a_reset_password_is_temporary_and_ends_open_sessions(app) -> None:
    issued = create_user(session=db.session, username="hsu", role=Role.AGENT, password="password-123")
    cookie = start_console_session(db.session, user_id=issued.user.id, lifetime=timedelta(hours=1))
    temporary = admin.reset_password(session=db.session, actor=ROOT, username="hsu")
    assert actor_for_console_session(db.session, cookie) is None
    assert admin.must_change_password(db.session, issued.user.id)
    actor = check_password(db.session, "hsu", temporary)
    assert actor is not None
    with pytest.raises(InvalidInput):
        admin.change_own_password(session=db.session, actor=actor, current="wrong-one", new="new-password-1")
    admin.change_own_password(session=db.session, actor=actor, current=temporary, new="new-password-1")
    assert not admin.must_change_password(db.session, issued.user.id)
    change = db.session.scalars(select(AdminChange).order_by(AdminChange.id.desc())).first()
    assert change is not None and change.after == {"password": "changed"}


def test_tokens_have_a_name_an_expiry_and_a_last_use_and_can_be_revoked(app) -> None:
    create_user(session=db.session, username="api", role=Role.AGENT)
    token = admin.create_token(
        session=db.session, actor=ROOT, username="api", name="報表匯出", expires_at=utcnow() + timedelta(days=30)
    )
    row = next(row for row in admin.tokens_of(db.session, "api") if row.label == "報表匯出")
    assert row.last_used_at is None
    assert actor_for_token(db.session, token) is not None
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).last_used_at is not None  # type: ignore[union-attr]
    admin.revoke_token(session=db.session, actor=ROOT, username="api", token_id=row.id)
    assert actor_for_token(db.session, token) is None
    before = _state()
    with pytest.raises(InvalidInput):
        admin.create_token(
            session=db.session, actor=ROOT, username="api", name="old", expires_at=utcnow() - timedelta(days=1)
        )
    assert _state() == before


def test_an_expired_token_is_refused(app) -> None:
    create_user(session=db.session, username="api2", role=Role.AGENT)
    token = admin.create_token(
        session=db.session, actor=ROOT, username="api2", name="short", expires_at=utcnow() + timedelta(minutes=5)
    )
    db.session.execute(ApiToken.__table__.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert actor_for_token(db.session, token) is None


def test_first_admin_is_created_once(app) -> None:
    password = admin.first_admin(session=db.session)
    assert password is not None and check_password(db.session, "admin", password) is not None
    assert admin.first_admin(session=db.session) is None

"""Administering users from the console: accounts, temporary passwords, API tokens; each change logged.

Every function is one transaction that writes the change and its AdminChange row together; a refusal
raises before anything is written. Snapshots never hold a password hash or a token: only that it changed.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.access import Actor
from app.admin_audit import check_not_stale, record_admin_change
from app.db import utcnow, write_transaction
from app.errors import N_, Conflict, InvalidInput, NotFound
from app.models import Agency, ApiToken, User
from app.request_state import ConsoleSession
from app.users.service import MIN_PASSWORD_LENGTH, add_token
from app.users.service import snapshot as snapshot  # the pages and tests read a user's snapshot from here
from app.vocabulary import Role

USERNAME = re.compile(r"^[A-Za-z0-9._-]{2,80}$")
LANGUAGES = ("zh-TW", "en")
EDITABLE = ("display_name", "role", "agency", "language")  # what the edit form changes (and checks for staleness)


@dataclass(frozen=True)
class NewUser:
    user: User
    temporary_password: str  # shown once to the administrator, to hand over; it must be changed at first login


def _temporary_password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, 96 bits


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("admin.user_not_found", username=username)
    return user


def _agency_for(session: Session, role: Role, agency_code: str | None) -> Agency | None:
    if role is not Role.AGENCY:
        if agency_code:
            raise InvalidInput("validation.failed", fields={"agency": [N_("admin.agency_only_for_agency_role")]})
        return None
    if not agency_code:
        raise InvalidInput("validation.failed", fields={"agency": [N_("admin.agency_required")]})
    agency = session.scalar(select(Agency).where(Agency.code == agency_code, Agency.active.is_(True)))
    if agency is None:
        raise InvalidInput("validation.failed", fields={"agency": [N_("field.unknown_agency")]}, code=agency_code)
    return agency


def _check_fields(display_name: str, language: str | None) -> None:
    errors: dict[str, list[str]] = {}
    if not display_name.strip() or len(display_name) > 80:
        errors["display_name"] = [N_("field.required")]
    if language not in (None, *LANGUAGES):
        errors["language"] = [N_("admin.bad_language")]
    if errors:
        raise InvalidInput("validation.failed", fields=errors)


def create_account(
    *,
    session: Session,
    actor: Actor,
    username: str,
    display_name: str,
    role: Role,
    agency_code: str | None = None,
    language: str | None = None,
) -> NewUser:
    """A new user with a temporary password (to be changed at first login) and no API token."""
    username = username.strip()
    if not USERNAME.match(username):
        raise InvalidInput("validation.failed", fields={"username": [N_("admin.bad_username")]})
    _check_fields(display_name, language)
    password = _temporary_password()
    with write_transaction(session):
        if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None:
            raise InvalidInput("validation.failed", fields={"username": [N_("admin.username_taken")]})
        agency = _agency_for(session, role, agency_code)
        user = User(
            username=username,
            display_name=display_name.strip(),
            role=role,
            agency=agency,
            language=language,
            password_hash=generate_password_hash(password),
            must_change_password=True,
        )
        session.add(user)
        session.flush()
        record_admin_change(
            session,
            actor=actor,
            object_type="user",
            object_key=username,
            action="created",
            before=None,
            after={**snapshot(user), "password": "temporary"},
        )
    return NewUser(user, password)


def update_account(
    *,
    session: Session,
    actor: Actor,
    username: str,
    display_name: str,
    role: Role,
    agency_code: str | None,
    language: str | None,
    seen: dict[str, Any] | None,
) -> User:
    """Change a user's name, role, agency or language; 409 if someone changed them since the form was read."""
    _check_fields(display_name, language)
    with write_transaction(session):
        user = _user(session, username)
        before = snapshot(user)
        check_not_stale(before, seen)
        agency = _agency_for(session, role, agency_code)
        if user.role is Role.ADMIN and role is not Role.ADMIN and user.active:
            _refuse_last_admin(session, user)
        user.display_name, user.role, user.agency, user.language = display_name.strip(), role, agency, language
        session.flush()
        after = snapshot(user)
        if after != before:
            record_admin_change(
                session,
                actor=actor,
                object_type="user",
                object_key=username,
                action="updated",
                before=before,
                after=after,
            )
    return user


def _refuse_last_admin(session: Session, user: User) -> None:
    others = session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)
    )
    if not others:
        raise Conflict(N_("admin.last_admin"), fields={"active": [N_("admin.last_admin")]})


def set_active(*, session: Session, actor: Actor, username: str, active: bool) -> User:
    """Deactivate (their sessions and tokens end at once; the last active admin is refused) or reactivate."""
    now = utcnow()
    with write_transaction(session):
        user = _user(session, username)
        before = snapshot(user)
        if user.active == active:
            return user
        if not active:
            if user.role is Role.ADMIN:
                _refuse_last_admin(session, user)
            _end_sessions(session, user.id, now)
            session.execute(
                update(ApiToken)
                .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        user.active = active
        session.flush()
        record_admin_change(
            session,
            actor=actor,
            object_type="user",
            object_key=username,
            action="reactivated" if active else "deactivated",
            before=before,
            after=snapshot(user),
        )
    return user


def _end_sessions(session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.user_id == user_id, ConsoleSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def reset_password(*, session: Session, actor: Actor, username: str) -> str:
    """A temporary password (returned, shown once) that must be changed at the next login; open sessions end."""
    password = _temporary_password()
    with write_transaction(session):
        user = _user(session, username)
        if not user.active:
            raise Conflict(N_("admin.user_inactive"), username=username)
        before = snapshot(user)
        user.password_hash = generate_password_hash(password)
        user.must_change_password = True
        _end_sessions(session, user.id, utcnow())
        session.flush()
        record_admin_change(
            session,
            actor=actor,
            object_type="user",
            object_key=username,
            action="password_reset",
            before=before,
            after={**snapshot(user), "password": "temporary"},
        )
    return password


def change_own_password(*, session: Session, actor: Actor, current: str, new: str) -> None:
    """The signed-in user replaces their password (a temporary one included), knowing the current one."""
    if len(new.strip()) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("validation.failed", fields={"new_password": [N_("account.password_too_short")]})
    if new == current:
        raise InvalidInput("validation.failed", fields={"new_password": [N_("account.password_unchanged")]})
    with write_transaction(session):
        user = _user(session, actor.username)
        if not user.password_hash or not check_password_hash(user.password_hash, current):
            raise InvalidInput("validation.failed", fields={"current_password": [N_("account.password_wrong")]})
        user.password_hash = generate_password_hash(new)
        user.must_change_password = False
        record_admin_change(
            session,
            actor=actor,
            object_type="user",
            object_key=user.username,
            action="password_changed",
            before={"password": "old"},
            after={"password": "changed"},
        )


def set_own_language(*, session: Session, actor: Actor, language: str | None) -> None:
    if language not in (None, *LANGUAGES):
        raise InvalidInput("validation.failed", fields={"language": [N_("admin.bad_language")]})
    with write_transaction(session):
        user = _user(session, actor.username)
        if user.language != language:
            record_admin_change(
                session,
                actor=actor,
                object_type="user",
                object_key=user.username,
                action="updated",
                before={"language": user.language},
                after={"language": language},
            )
            user.language = language


def must_change_password(session: Session, user_id: int) -> bool:
    return bool(session.scalar(select(User.must_change_password).where(User.id == user_id)))


def user_language(session: Session, user_id: int) -> str | None:
    return session.scalar(select(User.language).where(User.id == user_id))


# --- API tokens ------------------------------------------------------------------------------------------------


def create_token(*, session: Session, actor: Actor, username: str, name: str, expires_at: datetime | None) -> str:
    """A named API token (returned once); only its hash is kept. An expiry must lie ahead."""
    name = name.strip()
    if not name or len(name) > 80:
        raise InvalidInput("validation.failed", fields={"name": [N_("field.required")]})
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput("validation.failed", fields={"expires_at": [N_("admin.expiry_past")]})
    with write_transaction(session):
        user = _user(session, username)
        if not user.active:
            raise Conflict(N_("admin.user_inactive"), username=username)
        row, token = add_token(session, user, label=name, expires_at=expires_at)
        record_admin_change(
            session,
            actor=actor,
            object_type="api_token",
            object_key=f"{username}/{row.id}",
            action="created",
            before=None,
            after=_token_snapshot(row),
        )
    return token


def _token_snapshot(row: ApiToken) -> dict[str, Any]:
    return {
        "name": row.label,
        "expires_at": row.expires_at.isoformat(timespec="minutes") if row.expires_at else None,
        "revoked": row.revoked_at is not None,
    }


def revoke_token(*, session: Session, actor: Actor, username: str, token_id: int) -> None:
    with write_transaction(session):
        user = _user(session, username)
        row = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
        if row is None:
            raise NotFound("admin.token_not_found")
        if row.revoked_at is not None:
            return
        before = _token_snapshot(row)
        row.revoked_at = utcnow()
        record_admin_change(
            session,
            actor=actor,
            object_type="api_token",
            object_key=f"{username}/{row.id}",
            action="revoked",
            before=before,
            after=_token_snapshot(row),
        )


def tokens_of(session: Session, username: str) -> list[ApiToken]:
    """A user's tokens, live ones first, by name."""
    user = _user(session, username)
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id))
    return sorted(rows, key=lambda row: (row.revoked_at is not None, row.label, row.id))


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.active.desc(), User.role, User.username)))


def first_admin(*, session: Session) -> str | None:
    """On a database with no administrator: an `admin` account with a random password (returned, to print once).
    None when an administrator exists already, so a second `make run` prints nothing."""
    password = secrets.token_urlsafe(12)
    with write_transaction(session):
        if session.scalar(select(User.id).where(User.role == Role.ADMIN).limit(1)) is not None:
            return None
        if session.scalar(select(User.id).where(User.username == "admin")) is not None:
            return None  # a user called admin with another role: leave it to the command line
        user = User(
            username="admin", display_name="admin", role=Role.ADMIN, password_hash=generate_password_hash(password)
        )
        session.add(user)
        session.flush()
        record_admin_change(
            session,
            actor=None,
            object_type="user",
            object_key="admin",
            action="created",
            before=None,
            after={**snapshot(user), "password": "random"},
        )
    return password

"""Users and their API tokens: tokens are random, shown once, and stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.access import Actor
from app.admin_audit import record_admin_change
from app.db import utcnow, write_transaction
from app.errors import InvalidInput
from app.models import ApiToken, User
from app.reference import lookups
from app.reference.freshness import cached
from app.vocabulary import Role

TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough; passwords get a slow one.
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    user: User
    token: str


def create_user(
    *,
    session: Session,
    username: str,
    role: Role,
    display_name: str | None = None,
    agency_code: str | None = None,
    password: str | None = None,
    changed_by: Actor | None = None,
) -> IssuedToken:
    """Create a user and their first API token; an agency user must name an agency. With `changed_by`
    (the command line) the creation is logged in admin_changes in the same transaction."""
    _check_password_strength(password)
    with write_transaction(session):
        if session.scalar(select(User).where(User.username == username)) is not None:
            raise InvalidInput("validation.failed", fields={"username": [f"{username} exists"]})
        if (role is Role.AGENCY) != bool(agency_code):
            raise InvalidInput(
                "validation.failed", fields={"agency": ["an agency user needs --agency; others must not have one"]}
            )
        agency = lookups.active_agency(session, agency_code) if agency_code else None
        user = User(
            username=username,
            display_name=display_name or username,
            role=role,
            agency=agency,
            password_hash=generate_password_hash(password) if password is not None else None,
        )
        session.add(user)
        _row, token = add_token(session, user, label="cli")
        if changed_by is not None:
            _log(session, changed_by, user, "created", {**snapshot(user), "api_token": "issued"})
    return IssuedToken(user=user, token=token)


def snapshot(user: User) -> dict[str, Any]:
    """A user as the change log keeps it, whoever changed them (no hash, no token: only that it changed)."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "agency": user.agency.code if user.agency else None,
        "active": user.active,
        "language": user.language,
        "must_change_password": user.must_change_password,
    }


def _log(session: Session, actor: Actor, user: User, action: str, after: dict[str, object]) -> None:
    record_admin_change(
        session, actor=actor, object_type="user", object_key=user.username, action=action, before=None, after=after
    )


MIN_PASSWORD_LENGTH = 8


def _check_password_strength(password: str | None) -> None:
    if password is not None and len(password.strip()) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            "validation.failed", fields={"password": [f"at least {MIN_PASSWORD_LENGTH} characters, not only spaces"]}
        )


def set_password(*, session: Session, username: str, password: str, changed_by: Actor | None = None) -> None:
    """Give an existing user a (new) console password; their open console sessions stay valid."""
    _check_password_strength(password)
    with write_transaction(session):
        user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
        if user is None:
            raise InvalidInput("validation.failed", fields={"username": [f"no active user {username}"]})
        user.password_hash = generate_password_hash(password)
        if changed_by is not None:
            _log(session, changed_by, user, "password_set", {"password": "changed"})


def issue_token(*, session: Session, username: str, label: str = "", changed_by: Actor | None = None) -> str:
    with write_transaction(session):
        user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
        if user is None:
            raise InvalidInput("validation.failed", fields={"username": [f"no active user {username}"]})
        _row, token = add_token(session, user, label=label)
        if changed_by is not None:
            _log(session, changed_by, user, "token_issued", {"api_token": label or "issued"})
        return token


def add_token(session: Session, user: User, *, label: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new API token of this user in the caller's transaction: its row (hash only) and the token, shown once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = ApiToken(user=user, token_hash=hash_token(token), label=label, expires_at=expires_at)
    session.add(row)
    session.flush()
    return row, token


@dataclass
class _LiveToken:
    """What a live token stands for, as this process's cache keeps it (revoking, expiring or changing the
    user drops it: app/reference/freshness.py)."""

    actor: Actor
    token_id: int
    expires_at: datetime | None
    last_used_at: datetime | None


def actor_for_token(session: Session, token: str) -> Actor | None:
    """The active user a live (not revoked, not expired) bearer token belongs to, or None; its use is noted."""
    now = utcnow()
    token_hash = hash_token(token)
    live = cached(session, ("token", token_hash), lambda: _live_token(session, token_hash))
    if live is None or (live.expires_at is not None and live.expires_at <= now):
        return None
    if live.last_used_at is None or now - live.last_used_at > LAST_USE_GRANULARITY:
        _note_use(session, live.token_id, now)
        live.last_used_at = now
    return live.actor


def _live_token(session: Session, token_hash: str) -> _LiveToken | None:
    row = session.execute(
        select(
            User.id,
            User.username,
            User.role,
            User.agency_id,
            ApiToken.id.label("token_id"),
            ApiToken.expires_at,
            ApiToken.last_used_at,
        )
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None), User.active.is_(True))
    ).one_or_none()
    if row is None:
        return None
    actor = Actor(user_id=row.id, username=row.username, role=row.role, agency_id=row.agency_id)
    return _LiveToken(actor, row.token_id, row.expires_at, row.last_used_at)


LAST_USE_GRANULARITY = timedelta(minutes=1)  # at most one write a minute per token, however busy it is


def _note_use(session: Session, token_id: int, now: datetime) -> None:
    """The token's last use, in a short transaction of its own (the request may only read)."""
    with write_transaction(session):
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def actor_for_user(session: Session, user_id: int) -> Actor | None:
    """The console session's user, if still active (a deactivated user's open sessions stop working)."""
    row = session.execute(
        select(User.id, User.username, User.role, User.agency_id).where(User.id == user_id, User.active.is_(True))
    ).one_or_none()
    if row is None:
        return None
    return Actor(user_id=row.id, username=row.username, role=row.role, agency_id=row.agency_id)


def check_password(session: Session, username: str, password: str) -> Actor | None:
    """The active user with this username and password, or None (the same None for either mistake)."""
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None or not user.password_hash:
        # Spend the same time as a real check, so a wrong username is not told apart by timing.
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return Actor(user_id=user.id, username=user.username, role=user.role, agency_id=user.agency_id)


_DUMMY_HASH = generate_password_hash("not a password")


def revoke_tokens(*, session: Session, username: str, changed_by: Actor | None = None) -> int:
    with write_transaction(session):
        tokens = session.scalars(
            select(ApiToken).join(User).where(User.username == username, ApiToken.revoked_at.is_(None))
        ).all()
        for token in tokens:
            token.revoked_at = utcnow()
        if tokens and changed_by is not None:
            _log(session, changed_by, tokens[0].user, "tokens_revoked", {"revoked": len(tokens)})
    return len(tokens)

"""Console logins kept server-side: a copied cookie is worth nothing after logout, deactivation or the lifetime."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.access import Actor
from app.db import utcnow, write_transaction
from app.models import User
from app.request_state import ConsoleSession
from app.users.service import hash_token


def start_console_session(session: Session, *, user_id: int, lifetime: timedelta) -> str:
    """A new console session for this user; the random token goes into the signed cookie, its hash here."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with write_transaction(session):
        session.add(
            ConsoleSession(token_hash=hash_token(token), user_id=user_id, created_at=now, expires_at=now + lifetime)
        )
    return token


def actor_for_console_session(session: Session, token: str, now: datetime | None = None) -> Actor | None:
    """The active user of a console session neither ended, revoked nor expired; else None."""
    row = session.execute(
        select(User.id, User.username, User.role, User.agency_id)
        .join(ConsoleSession, ConsoleSession.user_id == User.id)
        .where(
            ConsoleSession.token_hash == hash_token(token),
            ConsoleSession.revoked_at.is_(None),
            ConsoleSession.expires_at > (now or utcnow()),
            User.active.is_(True),
        )
    ).one_or_none()
    if row is None:
        return None
    return Actor(user_id=row.id, username=row.username, role=row.role, agency_id=row.agency_id)


def end_console_session(session: Session, token: str) -> None:
    """Logout: this session is revoked on the server, whoever holds a copy of its cookie."""
    with write_transaction(session):
        session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.token_hash == hash_token(token), ConsoleSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )

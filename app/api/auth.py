"""Bearer-token authentication for the API."""

from __future__ import annotations

from flask import g, request

from app.cases.actors import Actor
from app.db import db
from app.errors import DomainError
from app.users.service import actor_for_token


class Unauthorized(DomainError):
    status = 401


def authenticate() -> None:
    """Resolve the bearer token to an Actor in g.actor, or refuse with 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("auth.missing")
    actor = actor_for_token(db.session, token.strip())
    # End the lookup's read transaction, so service functions start their own.
    db.session.commit()
    if actor is None:
        raise Unauthorized("auth.invalid")
    g.actor = actor


def current_actor() -> Actor:
    actor: Actor = g.actor
    return actor

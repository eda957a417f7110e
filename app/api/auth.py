"""Request guards of the API: bearer-token authentication and JSON bodies."""

from __future__ import annotations

from flask import Response, g, request

from app.api.errors import error_response
from app.api.inputs import storable_text_problem
from app.cases.actors import Actor
from app.db import current_session
from app.errors import DomainError
from app.i18n import message
from app.users.service import actor_for_token


class Unauthorized(DomainError):
    status = 401


def authenticate() -> None:
    """Resolve the bearer token to an Actor in g.actor, or refuse with 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("auth.missing")
    actor = actor_for_token(current_session(), token.strip())
    if actor is None:
        raise Unauthorized("auth.invalid")
    g.actor = actor


def current_actor() -> Actor:
    actor: Actor = g.actor
    return actor


def require_json_body() -> Response | None:
    """A body that is not JSON gets 415 rather than a list of 'missing field' messages."""
    if request.method in ("POST", "PUT", "PATCH") and request.content_length and not request.is_json:
        return error_response(415, "http.unsupported_media", message("http.unsupported_media"))
    return None


def refuse_unstorable_path() -> Response | None:
    """A case number with NUL or broken Unicode in the path cannot exist: 404, before any query."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and storable_text_problem(value):
            return error_response(404, "http.not_found", message("http.not_found"))
    return None

"""Request guards of the API: bearer-token (or console session) authentication and JSON bodies."""

from __future__ import annotations

from flask import Response, g, request
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from app.access import Actor
from app.api.errors import error_response
from app.db import current_session
from app.errors import DomainError, Forbidden
from app.i18n import message
from app.text_input import storable_text_problem
from app.users.service import actor_for_token
from app.users.sessions import session_actor

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRFToken"


class Unauthorized(DomainError):
    status = 401


def authenticate() -> None:
    """Resolve the bearer token (or, without an Authorization header, the console's login) to g.actor; else 401."""
    if "Authorization" not in request.headers:
        actor = session_actor()
        if actor is not None:
            _require_csrf_for_changes()
            g.actor = actor
            return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("auth.missing")
    actor = actor_for_token(current_session(), token.strip())
    if actor is None:
        raise Unauthorized("auth.invalid")
    g.actor = actor


def _require_csrf_for_changes() -> None:
    """The browser sends the session cookie with any site's request: a change must prove it came from our page."""
    if request.method in SAFE_METHODS:
        return
    try:
        validate_csrf(request.headers.get(CSRF_HEADER))
    except ValidationError as exc:
        raise Forbidden("auth.csrf") from exc


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

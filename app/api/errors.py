"""Every API error is JSON: {"error": {"code", "message", "fields"}}, in the caller's language."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from app.db import db
from app.errors import N_, DomainError
from app.i18n import message, translate_validation_message
from app.text_input import first_unstorable

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: N_("http.bad_request"),
    404: N_("http.not_found"),
    405: N_("http.method_not_allowed"),
    413: N_("http.too_large"),
    414: N_("http.uri_too_long"),
    415: N_("http.unsupported_media"),
    500: N_("http.server_error"),
}


def error_response(status: int, code: str, text: str, fields: dict[str, list[str]] | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": text}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    return response


_LOCATIONS = frozenset({"json", "query", "view_args", "headers"})


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs' nested {"json": {"field": [...]}} -> {"field": [...]}, text translated."""
    flat: dict[str, list[str]] = {}

    def merge(more: dict[str, list[str]]) -> None:
        for name, texts in more.items():
            flat.setdefault(name, []).extend(texts)

    if isinstance(messages, dict):
        for key, value in messages.items():
            key = str(key)
            if key in _LOCATIONS and not prefix:
                child = ""
            elif key == "_schema":
                child = prefix
            else:
                child = f"{prefix}.{key}" if prefix else key
            merge(_flatten(value, child))
    elif isinstance(messages, list):
        for item in messages:
            merge(_flatten(item, prefix))
    else:
        merge({prefix or "_body": [translate_validation_message(str(messages))]})
    return flat


def handle_domain_error(error: DomainError) -> Response:
    db.session.rollback()
    fields = {field: [message(code, **error.params) for code in codes] for field, codes in error.fields.items()}
    return error_response(error.status, error.code, message(error.code, **error.params), fields)


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if status == 400 and messages and "Invalid JSON body." in str(messages):
        return error_response(400, "body.invalid_json", message("body.invalid_json"))
    if messages:
        return error_response(status, "validation.failed", message("validation.failed"), _flatten(messages))
    code = _HTTP_CODES.get(status, N_("http.error"))
    if status == 413:
        response = error_response(status, code, message(code, limit=current_app.config["MAX_CONTENT_LENGTH"]))
    else:
        response = error_response(status, code, message(code, detail=error.description or ""))
    # The exception's own headers (a 405's Allow, a 401's WWW-Authenticate), but our JSON body.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def handle_stale(_error: StaleDataError) -> Response:
    db.session.rollback()
    return error_response(409, "case.stale_version", message("case.changed_meanwhile"))


# PostgreSQL refusing a connection because it has none left: sorry, too many clients already (53300),
# too many connections for role/database (53300), the database starting or shutting down (57P03).
_SATURATED = ("too many clients", "too many connections", "remaining connection slots", "53300", "57p03")
RETRY_AFTER_SECONDS = 2


def _busy() -> Response:
    response = error_response(503, "http.database_busy", message("http.database_busy", seconds=RETRY_AFTER_SECONDS))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def handle_pool_timeout(_error: PoolTimeout) -> Response:
    """Every connection of this process's pool stayed busy for the pool's timeout: come back shortly."""
    db.session.rollback()
    log.warning("database pool exhausted: answered 503")
    return _busy()


def handle_operational(error: OperationalError) -> Response:
    """The database refused a connection it has no room for: 503, never 500; anything else is unexpected."""
    sqlstate = str(getattr(error.orig, "sqlstate", "") or "")
    if sqlstate in ("53300", "57P03") or any(sign in str(error).lower() for sign in _SATURATED):
        with contextlib.suppress(OperationalError):  # the session may have had no connection to give back
            db.session.rollback()
        log.warning("database saturated (%s): answered 503", sqlstate or "connection refused")
        return _busy()
    return handle_unexpected(error)


MAX_PATH_CHARACTERS = 2048


def refuse_unusable_request() -> Response | None:
    """Once, before anything else: a path too long to be ours (414), or NUL or broken Unicode in the path,
    the query string or a form (a login, a webhook), which PostgreSQL cannot store: 422 with the field, as
    the JSON API answers such a body (a path with them names no case: routing answers it, 404)."""
    if len(request.path) > MAX_PATH_CHARACTERS:
        return error_response(414, "http.uri_too_long", message("http.uri_too_long", limit=MAX_PATH_CHARACTERS))
    pairs = list(request.args.items(multi=True))
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        pairs += request.form.items(multi=True)
    field = first_unstorable(pairs)
    if field is None:
        return None
    return error_response(
        422, "validation.failed", message("validation.failed"), {field: [message("input.unstorable")]}
    )


def handle_unexpected(error: Exception) -> Response:
    db.session.rollback()
    log.exception("unhandled error", exc_info=error)
    return error_response(500, "http.server_error", message("http.server_error"))


def register(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(StaleDataError, handle_stale)
    app.register_error_handler(PoolTimeout, handle_pool_timeout)
    app.register_error_handler(OperationalError, handle_operational)
    app.before_request(refuse_unusable_request)
    app.register_error_handler(Exception, handle_unexpected)

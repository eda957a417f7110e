"""Every API error is JSON: {"error": {"code", "message", "fields"}}, in the caller's language."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, jsonify
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from app.db import db
from app.errors import N_, DomainError
from app.i18n import message, translate_validation_message

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: N_("http.bad_request"),
    404: N_("http.not_found"),
    405: N_("http.method_not_allowed"),
    413: N_("http.too_large"),
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
        return error_response(status, code, message(code, limit=current_app.config["MAX_CONTENT_LENGTH"]))
    return error_response(status, code, message(code, detail=error.description or ""))


def handle_stale(_error: StaleDataError) -> Response:
    db.session.rollback()
    return error_response(409, "case.stale_version", message("case.changed_meanwhile"))


def handle_unexpected(error: Exception) -> Response:
    db.session.rollback()
    log.exception("unhandled error", exc_info=error)
    return error_response(500, "http.server_error", message("http.server_error"))


def register(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(StaleDataError, handle_stale)
    app.register_error_handler(Exception, handle_unexpected)

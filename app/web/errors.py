"""Errors on console pages: an HTML page in the user's language, not the API's JSON envelope."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from app.db import db
from app.errors import N_, DomainError
from app.i18n import message
from app.web.labels import L_

# The page's heading per status (console words) and what to do about it (messages).
_TITLES = {403: L_("error.forbidden"), 404: L_("error.not_found"), 409: L_("error.conflict")}
_DETAILS = {403: N_("page.forbidden"), 404: N_("http.not_found")}


def install_page_errors(bp: Blueprint) -> None:
    """Errors raised by this blueprint's views render web/error.html (a refused action changes nothing)."""
    bp.register_error_handler(DomainError, _domain_error)
    bp.register_error_handler(HTTPException, _http_error)


def _domain_error(error: DomainError) -> ResponseReturnValue:
    db.session.rollback()
    return _page(error.status, message(error.code, **error.params))


def _http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    detail = _DETAILS.get(status, N_("http.error"))
    return _page(status, message(detail, detail=error.description or ""))


def _page(status: int, text: str) -> ResponseReturnValue:
    title = _TITLES.get(status, L_("error.other"))
    return render_template("web/error.html", status=status, title_key=title, text=text), status

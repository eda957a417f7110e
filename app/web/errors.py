"""Errors on console pages: an HTML page in the user's language, not the API's JSON envelope."""

from __future__ import annotations

from flask import Blueprint, g, make_response, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, NotFound

from app.api.errors import handle_http_exception
from app.db import db
from app.errors import N_, DomainError
from app.i18n import message
from app.users.sessions import session_actor
from app.web.labels import L_

CONSOLE_PREFIX = "/console/"

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


def unknown_address(error: NotFound) -> ResponseReturnValue:
    """An address no route knows: under /console a page in the user's language (with the menu), else the API's JSON."""
    if not request.path.startswith(CONSOLE_PREFIX):
        return handle_http_exception(error)
    # No blueprint matched, so the pages' own hooks and context did not run: do what they would.
    from app.web.pagekit import choose_language, page_context, protect_pages

    choose_language()
    g.actor = session_actor()
    body = render_template(
        "web/error.html", status=404, title_key=_TITLES[404], text=message(_DETAILS[404]), **page_context()
    )
    return protect_pages(make_response(body, 404))

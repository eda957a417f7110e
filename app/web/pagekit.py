"""What every console page group shares: its language, its security headers, its menu and its error pages.

A page group is a blueprint made by `page_blueprint(...)` and registered in app/web/__init__.py;
its templates extend "web/base.html" and its assets are served by the `web` blueprint's static route.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request, session

from app.i18n import CHOSEN_LOCALE, is_english
from app.users.sessions import SESSION_LANG
from app.web.errors import install_page_errors
from app.web.nav import pages_for

# ?lang= values the pages accept, and the locale each selects.
LANGUAGES = {"zh-TW": "zh_TW", "en": "en"}
SECURITY_HEADERS = {
    # Scripts only from this server (no inline code, no CDN); the socket and the API are same-origin.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def page_blueprint(name: str, import_name: str, **options: Any) -> Blueprint:
    """A blueprint of console pages, with the hooks every page needs."""
    bp = Blueprint(name, import_name, **options)
    bp.before_request(choose_language)
    bp.after_request(protect_pages)
    bp.context_processor(page_context)
    install_page_errors(bp)
    return bp


def choose_language() -> None:
    """?lang=en or ?lang=zh-TW on a console page switches its language for the rest of the session."""
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session[SESSION_LANG] = chosen
    g.setdefault(CHOSEN_LOCALE, LANGUAGES.get(session.get(SESSION_LANG, "")))


def protect_pages(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        # Case details must not be shown again from the cache by the back button after a logout.
        response.headers["Cache-Control"] = "no-store"
    return response


def page_context() -> dict[str, Any]:
    english = is_english()
    actor = g.get("actor")
    return {
        "html_lang": "en" if english else "zh-Hant-TW",
        "other_lang": "zh-TW" if english else "en",
        "page_actor": actor,
        "nav_pages": pages_for(actor),
    }

"""The consoles: server-rendered pages, their script and styles, and the CSRF protection of their forms.

Every form and every change made with the console's login session carries a CSRF token
(Flask-WTF). The JSON API and the Twilio webhooks are exempt here: they authenticate each
request by a bearer token or Twilio's signature, which another site cannot make a browser send.
A browser that uses the API with its login session is checked by app/api/auth.py instead.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import NotFound

from app.i18n import message
from app.users.lockout import LoginLockout
from app.web.errors import unknown_address
from app.web.labels import label
from config.settings import Settings

csrf = CSRFProtect()
LOCKOUT = "hotline_login_lockout"  # app.extensions key of the LoginLockout


def current_settings_of(app: Flask) -> Settings:
    settings: Settings = app.config["HOTLINE_SETTINGS"]
    return settings


# Views under these paths prove who sent them without a cookie.
CSRF_EXEMPT_PREFIXES = ("/api/", "/telephony/")


def init_web(app: Flask) -> None:
    """Register the console blueprint and CSRF protection; call it after every other blueprint."""
    from app.web import (
        admin,
        admin_rules,
        board,
        casepage,
        intake,
        knowledge,
        my_work,
        reports,
        surge,
        views,
        wall,
        wall_actions,
    )

    # The live page stays open all day: its token must outlive Flask-WTF's one-hour default.
    # It is tied to the session, which a logout or a new login replaces.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    # Flask's defaults hold these keys already (None, True): set them, setdefault would change nothing.
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    settings = current_settings_of(app)
    # A console login lasts one shift at most; the server-side session (app/users/sessions.py) expires with it.
    app.permanent_session_lifetime = timedelta(seconds=settings.session_lifetime_seconds)  # Flask sets 31 days
    # The cookie is written only when the session changes, not on every request: the case page's script re-reads
    # its sections in the background, and a cookie refreshed by that read (sent before a form's answer) would
    # overwrite the form's flashed "sent" notice. The server-side session's expiry does not slide anyway.
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    app.extensions[LOCKOUT] = LoginLockout(
        settings.redis_url or "memory://",
        per_account=settings.login_failures_per_account,
        per_address=settings.login_failures_per_address,
        seconds=settings.login_lockout_seconds,
    )
    app.register_blueprint(views.bp)
    app.register_blueprint(casepage.bp)
    app.register_blueprint(intake.bp)
    app.register_blueprint(my_work.bp)
    app.register_blueprint(knowledge.bp)
    app.register_blueprint(board.bp)
    app.register_blueprint(wall.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_rules.bp)
    app.register_blueprint(wall_actions.bp)
    app.register_blueprint(surge.bp)
    app.register_blueprint(reports.bp)
    csrf.init_app(app)
    for name in _blueprints_only_under(app, CSRF_EXEMPT_PREFIXES):
        csrf.exempt(app.blueprints[name])
    app.register_error_handler(CSRFError, _form_expired)
    app.register_error_handler(NotFound, unknown_address)
    app.jinja_env.globals["label"] = label


def _blueprints_only_under(app: Flask, prefixes: tuple[str, ...]) -> set[str]:
    """Blueprints whose every route lies under one of the prefixes (so a new API blueprint is exempt too)."""
    inside: dict[str, bool] = {}
    for rule in app.url_map.iter_rules():
        name = rule.endpoint.rpartition(".")[0]
        if name in app.blueprints:
            inside[name] = inside.get(name, True) and rule.rule.startswith(prefixes)
    return {name for name, only_inside in inside.items() if only_inside}


def _form_expired(_error: CSRFError) -> ResponseReturnValue:
    from app.web.guards import AFTER_LOGIN
    from app.web.pagekit import choose_language

    choose_language()  # the CSRF check runs before the blueprint's own hooks
    back = _page_of_this_site(request.referrer)
    if back:
        # A session that expired mid-form: after logging in again, back to the form (its script keeps the draft).
        session[AFTER_LOGIN] = back
    return render_template("web/form_expired.html", error=message("auth.form_expired")), 400


def _page_of_this_site(referrer: str | None) -> str | None:
    """The path (and query) of the page a form was sent from, if it is a page of this site."""
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")

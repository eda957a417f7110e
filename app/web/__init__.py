"""The consoles: server-rendered pages, their script and styles, and the CSRF protection of their forms.

Every form and every change made with the console's login session carries a CSRF token
(Flask-WTF). The JSON API and the Twilio webhooks are exempt here: they authenticate each
request by a bearer token or Twilio's signature, which another site cannot make a browser send.
A browser that uses the API with its login session is checked by app/api/auth.py instead.
"""

from __future__ import annotations

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect

from app.i18n import message
from app.web.labels import label

csrf = CSRFProtect()

# Views under these paths prove who sent them without a cookie.
CSRF_EXEMPT_PREFIXES = ("/api/", "/telephony/")


def init_web(app: Flask) -> None:
    """Register the console blueprint and CSRF protection; call it after every other blueprint."""
    from app.web import knowledge, views

    # The live page stays open all day: its token must outlive Flask-WTF's one-hour default.
    # It is tied to the session, which a logout or a new login replaces.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.register_blueprint(views.bp)
    app.register_blueprint(knowledge.bp)
    csrf.init_app(app)
    for name in _blueprints_only_under(app, CSRF_EXEMPT_PREFIXES):
        csrf.exempt(app.blueprints[name])
    app.register_error_handler(CSRFError, _form_expired)
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
    from app.web.pagekit import choose_language

    choose_language()  # the CSRF check runs before the blueprint's own hooks
    return render_template("web/form_expired.html", error=message("auth.form_expired")), 400

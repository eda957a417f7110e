"""The console's login session: a random token in Flask's signed cookie, the session itself on the server."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, session

from app.access import Actor
from app.db import current_session
from app.users.console_sessions import actor_for_console_session, end_console_session, start_console_session

# The key app/realtime/connections.py reads too (session_token()) when a console connects its socket.
SESSION_TOKEN = "console_session"  # noqa: S105 - the cookie key, not a secret
SESSION_LANG = "lang"  # the console language chosen with ?lang=, kept across the login


def log_in(actor: Actor) -> None:
    """Start a fresh session for this user; whatever the browser carried before is dropped."""
    assert actor.user_id is not None
    lang = session.get(SESSION_LANG)
    session.clear()  # a new CSRF token too: one fetched before the login is worth nothing after it
    lifetime: timedelta = current_app.permanent_session_lifetime
    session[SESSION_TOKEN] = start_console_session(current_session(), user_id=actor.user_id, lifetime=lifetime)
    session.permanent = True  # the cookie expires with the server-side session
    if lang:
        session[SESSION_LANG] = lang


def log_out() -> None:
    """End the session on the server (a copy of the cookie stops working) and in the browser."""
    token = session_token()
    if token is not None:
        end_console_session(current_session(), token)
    lang = session.get(SESSION_LANG)
    session.clear()
    if lang:
        session[SESSION_LANG] = lang


def session_token() -> str | None:
    token = session.get(SESSION_TOKEN)
    return token if isinstance(token, str) and 0 < len(token) <= 100 else None


def session_actor() -> Actor | None:
    """The logged-in user while the session holds (not ended, revoked or expired) and the user is active."""
    token = session_token()
    return actor_for_console_session(current_session(), token) if token is not None else None

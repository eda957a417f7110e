"""The console's login session: which user a browser is logged in as, kept in Flask's signed cookie."""

from __future__ import annotations

from flask import session

from app.access import Actor
from app.db import current_session
from app.users.service import actor_for_user

# The same key app/realtime/connections.py reads when a console connects its socket.
SESSION_USER = "user_id"
SESSION_LANG = "lang"  # the console language chosen with ?lang=, kept across the login


def log_in(actor: Actor) -> None:
    """Start a fresh session for this user; whatever the browser carried before is dropped."""
    lang = session.get(SESSION_LANG)
    session.clear()  # a new CSRF token too: one fetched before the login is worth nothing after it
    session[SESSION_USER] = actor.user_id
    if lang:
        session[SESSION_LANG] = lang


def log_out() -> None:
    lang = session.get(SESSION_LANG)
    session.clear()
    if lang:
        session[SESSION_LANG] = lang


def session_user_id() -> int | None:
    user_id = session.get(SESSION_USER)
    return user_id if isinstance(user_id, int) and not isinstance(user_id, bool) else None


def session_actor() -> Actor | None:
    """The logged-in user if still active; a deactivated user's session stops working at once."""
    user_id = session_user_id()
    return actor_for_user(current_session(), user_id) if user_id is not None else None

"""Who may open a console page: a signed-in, still active user, of the roles the page is for."""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import wraps
from typing import Any

from flask import abort, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from app.users.sessions import log_out, session_actor
from app.vocabulary import Role

# The page a user asked for before being sent to log in (in the signed session, not the URL).
AFTER_LOGIN = "after_login"
# Set at login with a temporary password: every page but the account page sends the user there first.
MUST_CHANGE_PASSWORD = "must_change_password"  # noqa: S105 - a session key, not a secret
ACCOUNT_ENDPOINTS = frozenset({"admin.account", "admin.change_password"})


def login_required(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """The logged-in, still active user in g.actor; anyone else goes to the login page (and comes back after)."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        actor = session_actor()
        if actor is None:
            log_out()  # a deactivated user's session is dropped, not kept around
            if request.method == "GET":
                session[AFTER_LOGIN] = request.full_path.rstrip("?")  # back here once logged in
            return redirect(url_for("web.login"))
        g.actor = actor
        if session.get(MUST_CHANGE_PASSWORD) and request.endpoint not in ACCOUNT_ENDPOINTS:
            return redirect(url_for("admin.account"))
        return view(*args, **kwargs)

    return guarded


def roles_required(
    roles: Collection[Role],
) -> Callable[[Callable[..., ResponseReturnValue]], Callable[..., ResponseReturnValue]]:
    """login_required, and a 403 page for a role the page is not for."""

    def decorate(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if g.actor.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return login_required(checked)

    return decorate

"""Issue 11: login lockout per account and per address, a session lifetime, and console sessions revoked on
the server at logout and on deactivation (a copied cookie stops working)."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app.admin_audit import COMMAND_LINE_ACTOR
from app.db import db, utcnow
from app.request_state import ConsoleSession
from app.users.admin import set_active
from app.vocabulary import Role
from tests.web.conftest import CSRF_FIELD, ConsoleClient, Login, csrf_token, log_in_client


def _attempt(client: FlaskClient, username: str, password: str) -> tuple[int, str]:
    token = csrf_token(client, "/login", CSRF_FIELD)
    response = client.post("/login", data={"csrf_token": token, "username": username, "password": password})
    return response.status_code, response.get_data(as_text=True)


def _logged_in(client: FlaskClient) -> bool:
    return client.get("/console/live").status_code == 200


def _sessions() -> list[tuple[int, bool]]:
    db.session.expire_all()
    rows = db.session.execute(select(ConsoleSession.user_id, ConsoleSession.revoked_at.is_(None)))
    return [(user_id, live) for user_id, live in rows]


def test_an_account_is_locked_after_five_failures_even_for_the_right_password(client: FlaskClient, make_login) -> None:
    login, other = make_login(), make_login()
    for _ in range(5):
        assert _attempt(client, login.username, "wrong password")[0] == 200
    status, page = _attempt(client, login.username, login.password)
    assert status == 429 and "登入失敗次數過多" in page and not _logged_in(client)
    assert _sessions() == []  # nothing was started
    token = csrf_token(client, "/login", CSRF_FIELD)
    response = client.post("/login", data={"csrf_token": token, "username": login.username.upper(), "password": "x"})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0  # the name's case is no way out
    log_in_client(client, other)  # another account from the same address is not locked
    assert _logged_in(client)


def test_an_address_is_locked_after_twenty_failures_over_any_accounts(client: FlaskClient, make_login) -> None:
    for index in range(20):
        _attempt(client, f"guess{index}", "wrong password")
    login = make_login()
    status, _page = _attempt(client, login.username, login.password)
    assert status == 429 and not _logged_in(client) and _sessions() == []


def _copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of the client's session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    app.test_client_class = ConsoleClient
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def test_logout_revokes_the_session_on_the_server_so_a_copied_cookie_stops_working(
    app: Flask, client: FlaskClient, make_login
) -> None:
    login: Login = make_login(Role.AGENT, None)
    log_in_client(client, login)
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None  # the cookie ends with the session's lifetime
    thief = _copy_of(app, client)
    assert _logged_in(thief) and thief.get("/api/v1/cases").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/console/live")})
    assert not _logged_in(thief) and thief.get("/api/v1/cases").status_code == 401
    assert _sessions() == [(login.user_id, False)]


def test_deactivation_revokes_every_session_of_the_user(app: Flask, client: FlaskClient, make_login) -> None:
    login: Login = make_login(Role.AGENT, None)
    log_in_client(client, login)
    set_active(session=db.session, actor=COMMAND_LINE_ACTOR, username=login.username, active=False)
    assert not _logged_in(client) and _sessions() == [(login.user_id, False)]


def test_a_session_past_its_lifetime_is_refused(app: Flask, client: FlaskClient, make_login) -> None:
    assert app.permanent_session_lifetime == timedelta(hours=12)
    login: Login = make_login(Role.AGENT, None)
    log_in_client(client, login)
    # The shift ended: the server's record of the session has expired (set here rather than waited for).
    db.session.execute(update(ConsoleSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not _logged_in(client)

"""Real Chromium (Debian's, driven by Playwright) against the app served by a real server on a loopback port."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.db import db
from app.users.service import create_user
from app.vocabulary import Role

CHROMIUM = Path(os.environ.get("HOTLINE_CHROMIUM", "/usr/bin/chromium"))
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    user_id: int


@pytest.fixture
def make_login(app: Flask):
    """A user with a console password (agency users at PWD-MAINT unless told otherwise)."""
    count = iter(range(1, 1000))

    def make(role: Role = Role.AGENCY, agency: str | None = "PWD-MAINT") -> Login:
        username = f"console{next(count)}"
        issued = create_user(
            session=db.session,
            username=username,
            role=role,
            agency_code=agency if role is Role.AGENCY else None,
            password=PASSWORD,
        )
        return Login(username=username, password=PASSWORD, user_id=issued.user.id)

    return make


class ConsoleClient(FlaskClient):
    """Each request in an app context (and `g`) of its own, as on a real server; the tests' outer app
    context would otherwise be shared by every request, with Flask-WTF's token cached in its `g`."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = ConsoleClient
    return app.test_client()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium; skipped without it, unless HOTLINE_REQUIRE_BROWSER=1 makes that a failure."""
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set HOTLINE_CHROMIUM)"
        if os.environ.get("HOTLINE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"HOTLINE_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, live_server: str):
    """A fresh browser profile (cookies, sessionStorage) per test, in zh-TW like the city's desktops."""
    context = browser.new_context(base_url=live_server, locale="zh-TW")
    context.set_default_timeout(5000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    """A tab that fails the test on an uncaught script error or a Content-Security-Policy violation."""
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    tab.on(
        "console",
        lambda entry: (
            problems.append(f"console: {entry.text}")
            if entry.type == "error" and "Content Security Policy" in entry.text
            else None
        ),
    )
    yield tab
    assert not problems, problems


def log_in(page, login: Login, path: str = "/login") -> None:
    page.goto(path)
    page.get_by_label("帳號", exact=True).fill(login.username)
    page.get_by_label("密碼", exact=True).fill(login.password)
    page.get_by_role("button", name="登入", exact=True).click()


def open_console(page, login: Login, path: str = "/console/live") -> None:
    """Log in and wait until the live page's socket is connected. Straight to the live page by default: landing on
    an agency's board first leaves its socket open on the server until the ping times out, a second console."""
    from playwright.sync_api import expect

    log_in(page, login, path)
    expect(page).to_have_url(
        re.compile(r"/console/(live|intake|board)")
    )  # an agent starts at intake, an agency at its board
    if "/console/live" not in page.url:
        page.goto("/console/live")
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected")


def wait_until_pushed(app: Flask, case_no: str, timeout: float = 10) -> None:
    """Until the server's live feed has pushed every event of the case (to whoever listened, maybe no one):
    the marker that it happened while a page was offline, not a pause long enough on a fast machine."""
    from sqlalchemy import func, select

    from app.models import Case, CaseEvent
    from app.realtime.connections import EXTENSION

    db.session.rollback()
    newest = db.session.scalar(select(func.max(CaseEvent.id)).join(Case).where(Case.case_no == case_no))
    assert newest is not None
    feed = app.extensions[EXTENSION].feed
    deadline = time.monotonic() + timeout
    while feed.watermark() < newest:
        assert time.monotonic() < deadline, f"the feed never pushed event {newest}"
        time.sleep(0.02)


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str, pattern: re.Pattern[str] = CSRF_META) -> str:
    """The CSRF token a page carries (its <meta>, or a form's hidden field)."""
    match = pattern.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in_client(client: FlaskClient, login: Login) -> None:
    """Log in through the real form, without a browser."""
    token = csrf_token(client, "/login", CSRF_FIELD)
    response = client.post("/login", data={"csrf_token": token, "username": login.username, "password": login.password})
    assert response.status_code == 302 and response.headers["Location"] in (
        "/console/live",
        "/console/intake",
        "/console/board",
    )


AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each (rule: target)."""
    # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern
    # (a <script> tag with the same code would be refused by it, as it should be).
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(f"() => {{ {AXE.read_text(encoding='utf-8')}\n window.axe = axe; }}")
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {', '.join(str(node['target']) for node in violation['nodes'])}"
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]

"""What every console page shares, in real Chromium: the menu, the shortcut list, error pages, login."""

from __future__ import annotations

import re

from flask import Flask
from playwright.sync_api import expect

from app.vocabulary import Role
from app.web import nav
from app.web.guards import AFTER_LOGIN, roles_required
from app.web.pagekit import page_blueprint
from tests.web.conftest import CSRF_FIELD, csrf_token, log_in, log_in_client, open_console


def test_the_menu_marks_the_current_page_in_words_and_a_key_opens_the_shortcut_list(page, make_login) -> None:
    open_console(page, make_login(Role.AGENT, None))
    menu = page.get_by_role("navigation", name="主選單")
    expect(menu.get_by_role("link", name="即時派工")).to_have_attribute("aria-current", "page")
    page.locator("body").press("?")
    help_dialog = page.get_by_role("dialog", name="鍵盤快速鍵")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("前往「即時派工」")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()


def test_typing_a_question_mark_in_a_field_does_not_open_the_list(page, make_login) -> None:
    page.goto("/login")
    page.get_by_label("帳號", exact=True).press("?")
    expect(page.get_by_label("帳號", exact=True)).to_have_value("?")
    expect(page.get_by_role("dialog")).to_have_count(0)  # no list before login: no menu to list


def test_a_page_asked_for_before_login_opens_after_it_and_never_another_site(page, make_login) -> None:
    login = make_login(Role.SUPERVISOR, None)
    page.goto("/console/live?lang=zh-TW")
    expect(page).to_have_url("/login")
    log_in(page, login)
    expect(page).to_have_url(re.compile(r"/console/live\?lang=zh-TW$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("即時派工")


def test_a_page_of_another_role_is_an_html_page_that_says_so(app: Flask, client, make_login) -> None:
    """A page group made with page_blueprint and roles_required refuses other roles with a page, not JSON."""
    bp = page_blueprint("kit_probe", __name__)

    @bp.route("/console/probe")
    @roles_required({Role.SUPERVISOR})
    def probe() -> str:
        return "only supervisors"

    app.register_blueprint(bp)
    log_in_client(client, make_login(Role.AGENCY, "PWD-MAINT"))
    refused = client.get("/console/probe")
    assert refused.status_code == 403 and refused.mimetype == "text/html"
    text = refused.get_data(as_text=True)
    assert "此頁面不開放給您的角色使用。" in text and "Content-Security-Policy" in refused.headers
    other_browser = app.test_client()
    log_in_client(other_browser, make_login(Role.SUPERVISOR, None))
    assert other_browser.get("/console/probe").get_data(as_text=True) == "only supervisors"


def test_two_pages_cannot_share_a_key(app: Flask) -> None:
    taken = nav.PAGES[0]
    try:
        nav.register(nav.Page("elsewhere.page", "nav.live", nav.EVERYONE, taken.key.lower()))
    except ValueError as refused:
        assert taken.endpoint in str(refused)
    else:
        raise AssertionError("a second page with the same key was registered")
    assert [page.endpoint for page in nav.PAGES].count("elsewhere.page") == 0


def test_a_remembered_page_on_another_site_is_never_followed(client, make_login) -> None:
    for elsewhere in ("//evil.example/console", "https://evil.example/", "/\\evil.example"):
        with client.session_transaction() as stored:
            stored[AFTER_LOGIN] = elsewhere
        login = make_login(Role.AGENT, None)
        token = csrf_token(client, "/login", CSRF_FIELD)
        answer = client.post(
            "/login", data={"csrf_token": token, "username": login.username, "password": login.password}
        )
        assert answer.headers["Location"] == "/console/intake", elsewhere  # the agent's home, not elsewhere
        client.post("/logout", data={"csrf_token": csrf_token(client, "/console/live")})


def test_the_menu_puts_the_days_work_first(app: Flask) -> None:
    from app.access import Actor

    agent = Actor(user_id=1, username="a", role=Role.AGENT)
    assert [page.endpoint for page in nav.pages_for(agent)] == [
        "intake.start",
        "my_work.page",
        "casepage.search",
        "knowledge.search",
        "web.live",
        "surge.page",  # agents see the surge page (颱風) without its actions
    ]


def test_an_unknown_console_address_is_a_page_and_an_unknown_api_address_stays_json(client, make_login) -> None:
    log_in_client(client, make_login(Role.AGENT, None))
    page = client.get("/console/no-such-page?lang=en")
    assert page.status_code == 404 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert 'lang="en"' in text and "There is nothing at this address." in text and 'aria-label="Main menu"' in text
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "http.not_found"

"""Logging in and out of the console in real Chromium: errors, CSRF, language."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.conftest import log_in


def test_a_wrong_password_shows_the_error_and_logs_no_one_in(page, make_login) -> None:
    login = make_login()
    log_in(page, login.__class__(login.username, "not the password", login.user_id))
    expect(page.get_by_role("alert")).to_have_text("帳號或密碼錯誤。")
    expect(page.get_by_label("帳號", exact=True)).to_have_value(login.username)
    expect(page.get_by_label("密碼", exact=True)).to_have_value("")  # a password is never sent back
    page.goto("/console/live")
    expect(page).to_have_url("/login")


def test_an_unknown_user_gets_the_same_message_as_a_wrong_password(page, make_login) -> None:
    login = make_login()
    log_in(page, login.__class__("nobody-here", login.password, 0))
    expect(page.get_by_role("alert")).to_have_text("帳號或密碼錯誤。")


def test_a_login_form_without_its_csrf_token_is_refused(page, make_login) -> None:
    login = make_login()
    page.goto("/login")
    page.locator('input[name="csrf_token"]').evaluate("input => input.remove()")
    page.get_by_label("帳號", exact=True).fill(login.username)
    page.get_by_label("密碼", exact=True).fill(login.password)
    with page.expect_response(lambda response: response.url.endswith("/login")) as answer:
        page.get_by_role("button", name="登入", exact=True).click()
    assert answer.value.status == 400
    expect(page.get_by_role("alert")).to_contain_text("表單已過期")
    page.goto("/console/live")
    expect(page).to_have_url("/login")


def test_login_opens_the_agency_board_and_logout_ends_the_session(page, make_login) -> None:
    login = make_login()
    log_in(page, login)  # from the login page itself: "/" asks for the live page, and gets it after login
    expect(page).to_have_url("/console/board")  # an agency responder's home
    assert page.locator("html").get_attribute("lang") == "zh-Hant-TW"
    expect(page.get_by_role("heading", level=1)).to_contain_text("機關看板")
    page.get_by_role("button", name="登出").click()
    expect(page).to_have_url("/login")
    expect(page.get_by_role("status")).to_have_text("您已登出。")
    page.goto("/console/live")
    expect(page).to_have_url("/login")


def test_english_is_one_click_away_and_stays_chosen(page, make_login) -> None:
    login = make_login()
    page.goto("/login")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Username", exact=True).fill(login.username)
    page.get_by_label("Password", exact=True).fill(login.password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url("/console/board")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agency board")
    expect(page.locator("#connection-state")).to_have_text("Connected: updating live.")


def test_an_empty_form_names_the_missing_fields(page) -> None:
    page.goto("/login")
    page.get_by_role("button", name="登入", exact=True).click()
    expect(page.get_by_label("帳號", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#username-error")).to_have_text("此欄位必填。")
    expect(page.locator("#password-error")).to_have_text("此欄位必填。")

"""Administration in real Chromium, keyboard only, from the first start to a night-shift SMS; axe on every page."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.alerting.outbox import send_due
from app.db import db
from app.models import Notification
from app.users.admin import first_admin
from app.vocabulary import Role
from dispatch.channels.twilio import TwilioChannel
from tests.factories import Factory
from tests.fake_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, FakeTwilio
from tests.web.conftest import Login, log_in, serious_violations

TZ = ZoneInfo("Asia/Taipei")
WEDNESDAY_23 = datetime(2025, 3, 5, 23, 0, tzinfo=TZ)
SHOTS = os.environ.get("HOTLINE_SHOTS")  # a directory to keep screenshots of each page in both languages
ADMIN_PAGES = (
    ("hub", "/console/admin"),
    ("users", "/console/admin/users"),
    ("user", "/console/admin/users/admin"),
    ("agencies", "/console/admin/agencies"),
    ("agency", "/console/admin/agencies/PWD-MAINT"),
    ("roster", "/console/admin/agencies/PWD-MAINT/roster"),
    ("audit", "/console/admin/audit"),
    ("account", "/console/account"),
)


def _tab_to(page: Page, selector: str, limit: int = 200) -> None:
    """Tab (as a person would) until the element is focused."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} not reached by Tab")


def _type_into(page: Page, selector: str, text: str) -> None:
    _tab_to(page, selector)
    page.keyboard.type(text)


def _first_admin(app: Flask) -> Login:
    password = first_admin(session=db.session)
    assert password is not None
    user_id = db.session.scalar(
        select(db.metadata.tables["users"].c.id).where(db.metadata.tables["users"].c.username == "admin")
    )
    return Login("admin", password, int(user_id))


def test_the_first_admin_sets_a_night_shift_and_a_dispatch_at_23_texts_it(
    page: Page, app: Flask, factory: Factory, fake_twilio: FakeTwilio
) -> None:
    log_in(page, _first_admin(app))
    expect(page).to_have_url(re.compile(r"/console/live"))
    page.wait_for_load_state("load")  # the shortcuts' module has run
    page.keyboard.press("Alt+Shift+A")
    expect(page.get_by_role("heading", level=1)).to_have_text("系統管理")

    # An agency responder for the road maintenance office.
    _tab_to(page, "a[href='/console/admin/users']")
    page.keyboard.press("Enter")
    _type_into(page, "#username", "lin.responder")
    _type_into(page, "#display_name", "林承辦")
    _tab_to(page, "#role")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # agent → supervisor → agency
    expect(page.locator("#role")).to_have_value("agency")
    _tab_to(page, "#agency")
    page.keyboard.type("PWD-M")
    expect(page.locator("#agency")).to_have_value("PWD-MAINT")
    _tab_to(page, "button.primary")
    page.keyboard.press("Enter")
    expect(page.locator("#secret")).to_contain_text("lin.responder 的臨時密碼")

    # A night shift on the roster of the same office.
    page.wait_for_load_state("load")
    page.keyboard.press("Alt+Shift+A")
    _tab_to(page, "a[href='/console/admin/agencies']")
    page.keyboard.press("Enter")
    _tab_to(page, "a[href='/console/admin/agencies/PWD-MAINT/roster']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("值班表")
    _type_into(page, "#name", "林夜班")
    _type_into(page, "#phone", "0912-555-002")
    _type_into(page, "#start", "18:00")
    _type_into(page, "#end", "08:00")
    for day in ("mon", "tue", "wed", "thu", "fri"):
        _tab_to(page, f"input[name='days'][value='{day}']")
        page.keyboard.press("Space")
    _tab_to(page, "form[action$='/roster/shifts'] button[type='submit']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("值班已新增")
    expect(page.locator("table.admin-table").first).to_contain_text("林夜班")

    # A dispatch at 23:00 on a Wednesday texts the night shift, through (fake) Twilio.
    case = factory.case(now=WEDNESDAY_23)
    assert case.agency is not None and case.agency.code == "PWD-MAINT"
    channel = TwilioChannel(
        TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, "+15005550006", api_base_url=fake_twilio.base_url, timeout=0.5
    )
    send_due(db.session, channel, public_base_url="https://hotline.example.gov.tw", now=WEDNESDAY_23)
    assert [request.to for request in fake_twilio.accepted("sms")] == ["+886912555002"]
    db.session.rollback()
    sms = db.session.scalar(select(Notification).where(Notification.case_id == case.id))
    assert sms is not None and sms.recipient_name == "林夜班"

    # The change log shows each change, with who made it.
    page.keyboard.press("Alt+Shift+A")
    expect(page.get_by_role("heading", level=1)).to_have_text("系統管理")
    _tab_to(page, "a[href='/console/admin/audit']")
    page.keyboard.press("Enter")
    rows = page.locator("table.admin-table tbody tr")
    expect(rows).to_have_count(3)  # the first admin (command line), the responder, the night shift
    expect(rows.nth(0)).to_contain_text("每週值班 PWD-MAINT#")
    expect(rows.nth(0)).to_contain_text("林夜班")
    expect(rows.nth(1)).to_contain_text("使用者 lin.responder")
    expect(rows.nth(2)).to_contain_text("指令列（無登入者）")  # the command line, in the page's language
    assert serious_violations(page) == []


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_every_admin_page_has_no_serious_violations(page: Page, app: Flask, make_login, lang: str) -> None:
    login = _first_admin(app)
    responder = make_login(Role.AGENCY)
    log_in(page, login)
    expect(page).to_have_url(re.compile(r"/console/live"))  # the login's cookie is set before the next request
    page.goto(f"/console/admin/agencies/PWD-MAINT/roster?lang={lang}")
    # Something in each table: a shift, an override, a change.
    page.locator("#name").fill("林夜班")
    page.locator("#phone").fill("0912555002")
    page.locator("#start").fill("18:00")
    page.locator("#end").fill("08:00")
    page.locator("input[name='days'][value='wed']").check()
    page.locator("form[action$='/roster/shifts'] button[type='submit']").click()
    start = datetime.now(TZ) + timedelta(days=1)
    page.locator("#o_name").fill("代理人")
    page.locator("#o_phone").fill("0912555077")
    page.locator("#o_from").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#o_until").fill((start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("form[action$='/roster/overrides'] button[type='submit']").click()
    expect(page.locator("table.admin-table")).to_have_count(2)
    for name, path in (*ADMIN_PAGES, ("responder", f"/console/admin/users/{responder.username}")):
        page.goto(f"{path}?lang={lang}")
        expect(page.locator("html")).to_have_attribute("lang", "en" if lang == "en" else "zh-Hant-TW")
        assert serious_violations(page) == [], path
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 1280, f"{path} is {width}px wide"
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/admin-{name}-{lang}.png", full_page=True)
    # The refusals' pages too: errors beside the fields.
    page.goto("/console/admin/agencies/PWD-MAINT")
    page.locator("#duty_phones").fill("12-34")
    page.locator("button.primary").click()
    expect(page.locator("#duty_phones-error")).to_be_visible()
    assert serious_violations(page) == []
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/admin-agency-error-{lang}.png", full_page=True)


def test_first_admin_prints_its_password_once_in_development(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "HOTLINE_SETTINGS", replace(app.config["HOTLINE_SETTINGS"], env="development"))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["user", "first-admin"])
    assert first.exit_code == 0 and "username: admin" in first.output
    second = runner.invoke(args=["user", "first-admin"])
    assert second.exit_code == 0 and second.output == ""
    monkeypatch.setitem(app.config, "HOTLINE_SETTINGS", replace(app.config["HOTLINE_SETTINGS"], env="production"))
    refused = runner.invoke(args=["user", "first-admin"])
    assert refused.exit_code != 0 and "user create" in refused.output

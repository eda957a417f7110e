"""The rules' administration pages in Debian's Chromium, by keyboard only: a typhoon day declared from
the page moves an open petition's deadline, an edited SLA policy applies to new cases only; axe-core on
every page in both languages."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.db import db
from app.models import SlaPolicyVersion
from app.vocabulary import Role
from tests.web.admin_rules_helpers import admin_changes, fresh_case, petition, recomputed_events, working_day_before_due
from tests.web.conftest import log_in, serious_violations

PAGES = (
    "/console/admin/rules",
    "/console/admin/rules/calendar",
    "/console/admin/rules/policies",
    "/console/admin/rules/policies/type:petition",
    "/console/admin/rules/ladders/default",
    "/console/admin/rules/categories",
    "/console/admin/rules/categories/fallen_tree",
    "/console/admin/rules/categories/new",
)
# Set to a directory to keep a screenshot of each page in each language (for looking at them, not for asserting).
SHOTS = os.environ.get("HOTLINE_SCREENSHOTS")


@pytest.fixture
def admin(page, make_login):
    login = make_login(Role.ADMIN, None)
    log_in(page, login)
    expect(page.get_by_role("navigation", name=re.compile("主選單|Main"))).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 800})
    return login


def _tab_to(page, selector: str, limit: int = 80) -> None:
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} not reached by Tab")


def test_a_typhoon_day_declared_from_the_page_moves_an_open_petitions_deadline(page, admin, factory) -> None:
    case = petition(factory)
    due_before = case.report_due_at
    day = working_day_before_due(case, factory.tz)
    page.keyboard.press("Alt+Shift+G")
    expect(page.get_by_role("heading", level=1)).to_have_text("規則與行事曆")
    _tab_to(page, "a[href$='/console/admin/rules/calendar']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("行事曆")
    _tab_to(page, "#day")
    page.keyboard.type(day.isoformat())
    expect(page.locator("#day")).to_have_value(day.isoformat())
    page.keyboard.press("Tab")
    expect(page.locator("#state-closed")).to_be_focused()  # 停班 is chosen already
    page.keyboard.press("Tab")
    page.keyboard.type("颱風停班")
    _tab_to(page, "button[value='preview']")
    page.keyboard.press("Enter")
    expect(page.locator("#preview")).to_contain_text("將移動 1 件未結案件的期限")
    assert fresh_case(case.id).report_due_at == due_before  # nothing yet
    assert serious_violations(page) == []
    _tab_to(page, "button[value='confirm']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("1 件未結案件的期限已重新計算")
    expect(page.locator("table").first).to_contain_text("颱風停班")
    moved = fresh_case(case.id)
    assert moved.report_due_at > due_before
    (event,) = recomputed_events(case.id)
    assert event.payload["day"] == day.isoformat() and event.payload["reason"] == "颱風停班"
    (change,) = admin_changes()
    assert (change.object_type, change.object_key, change.actor_name) == (
        "calendar_day",
        day.isoformat(),
        admin.username,
    )


@pytest.mark.mutates_reference
def test_an_edited_sla_policy_applies_to_a_new_case_and_not_to_an_open_one(page, admin, factory) -> None:
    open_case = petition(factory)
    assert (open_case.sla_policy, open_case.sla_policy_version) == ("type:petition", 1)
    due_before = open_case.report_due_at
    page.keyboard.press("Alt+Shift+G")
    _tab_to(page, "a[href$='/console/admin/rules/policies']")
    page.keyboard.press("Enter")
    row = page.get_by_role("row").filter(has_text="所有陳情類別")
    expect(row).to_contain_text("第 1 版 1 件")
    _tab_to(page, "a[href$='/policies/type:petition']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("編輯處理時限")
    _tab_to(page, "#report_within")
    page.keyboard.press("Control+A")
    page.keyboard.type("10d")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("已儲存為第 2 版")
    row = page.get_by_role("row").filter(has_text="所有陳情類別")
    expect(row).to_contain_text("第 2 版")
    expect(row).to_contain_text("第 1 版 1 件")
    new_case = petition(factory, description="清晨施工噪音")
    assert (new_case.sla_policy, new_case.sla_policy_version) == ("type:petition", 2)
    kept = fresh_case(open_case.id)
    assert (kept.sla_policy_version, kept.report_due_at) == (1, due_before)
    assert new_case.report_due_at - new_case.sla_started_at > due_before - kept.sla_started_at
    db.session.rollback()
    assert db.session.query(SlaPolicyVersion).filter_by(key="type:petition", current=True).one().version == 2
    (change,) = admin_changes()
    assert (change.object_type, change.before["version"], change.after["version"]) == ("sla_policy", 1, 2)


def test_a_refused_policy_edit_keeps_the_values_and_says_why_next_to_the_field(page, admin) -> None:
    page.goto("/console/admin/rules/policies/fallen_tree")
    _tab_to(page, "#acknowledge_within")
    page.keyboard.press("Control+A")
    page.keyboard.type("5h")
    page.keyboard.press("Enter")
    expect(page.locator("#acknowledge_within-error")).to_have_text("確認期限不可長於回報期限。")
    expect(page.locator("#acknowledge_within")).to_have_value("5h")
    expect(page.locator("#acknowledge_within")).to_have_attribute("aria-invalid", "true")
    assert serious_violations(page) == []
    assert admin_changes() == []


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_every_rules_page_has_no_serious_accessibility_violations(page, admin, lang) -> None:
    for path in PAGES:
        page.goto(f"{path}?lang={lang}")
        expect(page.locator("h1")).to_be_visible()
        assert serious_violations(page) == [], path
        # Fits 1280×800 across: nothing scrolls sideways.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280, path
        if SHOTS:
            name = path.strip("/").replace("/", "_").replace(":", "-")
            page.screenshot(path=str(Path(SHOTS) / f"{name}.{lang}.png"), full_page=False)

"""The agency's board: a dispatch arrives live for its own agency only, is acknowledged with one key from
its row and opened with Enter, all by keyboard; staff open any agency's board; no serious axe findings."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from app.cases.board import section_of
from app.vocabulary import CaseStatus, Role
from tests.factories import Factory
from tests.web.conftest import log_in, serious_violations


def _open_board(page: Page, login, path: str = "/login") -> None:
    log_in(page, login, path)
    expect(page).to_have_url("/console/board")
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected")


def _row(page: Page, section: str, case_no: str):
    return page.locator(f'section[data-section="{section}"] tr[data-case-no="{case_no}"]')


def _tab_to(page: Page, case_no: str) -> None:
    """Tab from the top of the page until the case's link has the focus (keyboard only, as a user would)."""
    page.locator("#main").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.textContent?.trim()") == case_no:
            return
    raise AssertionError(f"Tab never reached {case_no}")


def test_a_dispatch_appears_live_for_its_agency_only_and_one_key_acknowledges_it(
    page: Page, factory: Factory, make_login
) -> None:
    _open_board(page, make_login(Role.AGENCY, "PWD-MAINT"))
    expect(page.get_by_role("heading", name="待簽收（0）")).to_be_visible()
    elsewhere = factory.case(category_code="noise", address="三民區建工路1號")  # the environment bureau's
    ours = factory.case()
    row = _row(page, "awaiting", ours.case_no)
    expect(row).to_be_visible()
    expect(page.locator(f'tr[data-case-no="{elsewhere.case_no}"]')).to_have_count(0)
    expect(page.locator("#board-announcer")).to_have_text(f"新派工 {ours.case_no}：路樹傾倒")
    expect(row.locator('td[data-column="time_left"]')).to_contain_text("剩")

    _tab_to(page, ours.case_no)
    page.keyboard.press("a")
    expect(page.locator("#board-status")).to_contain_text(ours.case_no)
    expect(_row(page, "in_progress", ours.case_no)).to_be_visible()
    expect(_row(page, "awaiting", ours.case_no)).to_have_count(0)
    expect(page.get_by_role("link", name=ours.case_no)).to_be_focused()  # the user stays with the case

    page.keyboard.press("Enter")
    expect(page).to_have_url(f"/console/cases/{ours.case_no}")


def test_staff_open_any_agencys_board_and_a_responder_only_its_own(page: Page, factory: Factory, make_login) -> None:
    ours = factory.case()
    log_in(page, make_login(Role.SUPERVISOR, None))
    page.goto("/console/board?agency=PWD-MAINT")
    expect(_row(page, "awaiting", ours.case_no)).to_be_visible()
    page.goto("/console/board?agency=EPB")
    expect(page.locator(f'tr[data-case-no="{ours.case_no}"]')).to_have_count(0)
    assert page.goto("/console/board?agency=NOPE").status == 404


def test_a_responder_of_another_agency_never_sees_the_case(page: Page, factory: Factory, make_login) -> None:
    ours = factory.case()
    _open_board(page, make_login(Role.AGENCY, "EPB"))
    page.goto("/console/board?agency=PWD-MAINT")  # ignored: a responder's board is its own agency's
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected")
    expect(page.locator(f'tr[data-case-no="{ours.case_no}"]')).to_have_count(0)


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_the_board_has_no_serious_accessibility_violations(page: Page, factory: Factory, make_login, lang: str) -> None:
    factory.case()
    acknowledged = factory.case(address="鳳山區光復路二段2號")
    responder = factory.user("agency", agency="PWD-MAINT")
    assert responder.act(acknowledged.case_no, "acknowledge", acknowledged.version).status_code == 200
    _open_board(page, make_login(Role.AGENCY, "PWD-MAINT"))
    page.goto(f"/console/board?lang={lang}")
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected")
    assert serious_violations(page) == []
    page.locator("#shortcuts-open").click()
    expect(page.get_by_role("dialog")).to_contain_text("a")


@pytest.mark.parametrize(
    ("status", "returned", "section"),
    [
        (CaseStatus.ASSIGNED, False, "awaiting"),
        (CaseStatus.ACKNOWLEDGED, False, "in_progress"),
        (CaseStatus.WAITING_CITIZEN, False, "waiting_citizen"),
        (CaseStatus.WAITING_CITIZEN, True, "waiting_citizen"),
        (CaseStatus.ASSIGNED, True, "returned"),
        (CaseStatus.ACKNOWLEDGED, True, "returned"),
    ],
)
def test_each_open_case_has_one_section(status: CaseStatus, returned: bool, section: str) -> None:
    assert section_of(status, returned) == section

"""axe-core on every page of the intake and my work, in zh-TW and English: no serious or critical violations;
and my work follows a case's state live."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.vocabulary import Role
from tests.factories import Factory
from tests.web.conftest import log_in, serious_violations


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_every_intake_page_has_no_serious_violations(page: Page, make_login, factory: Factory, lang: str) -> None:
    factory.case(reporter_phone="0912-345-678")  # history and a duplicate to show
    log_in(page, make_login(Role.AGENT, None))
    page.goto(f"/console/intake?lang={lang}")
    assert serious_violations(page) == []
    page.locator("#caller").fill("0912 345 678")
    page.locator("#caller").press("Enter")
    expect(page).to_have_url(re.compile(r"/calls/\d+$"))
    combobox = page.locator("input#category")
    combobox.fill("fallen")
    expect(page.locator("#category-list")).to_be_visible()
    assert serious_violations(page) == []  # with the list open
    combobox.press("Enter")
    page.locator("input#district").fill("fongshan")
    page.locator("input#district").press("Enter")
    page.locator("#address").fill("光復路二段132號")
    expect(page.locator("#duplicates li")).to_have_count(1)
    assert serious_violations(page) == []
    page.locator("#reporter_phone").fill("12")
    page.locator("#description").press("Control+Enter")  # no description, a bad phone: errors beside the fields
    expect(page.locator("#description-error")).to_be_visible()
    assert serious_violations(page) == []
    page.locator("#description").fill("路樹倒塌")
    page.locator("#reporter_phone").fill("")
    page.locator("#description").press("Control+Enter")
    expect(page.locator(".case-number")).to_be_visible()
    assert serious_violations(page) == []
    page.goto("/console/my-work")
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected")
    assert serious_violations(page) == []


def test_my_work_lists_todays_calls_and_cases_and_follows_their_state_live(
    page: Page, make_login, factory: Factory
) -> None:
    login = make_login(Role.AGENT, None)
    log_in(page, login)
    page.goto("/console/intake")
    page.locator("#caller").fill("0912 345 678")
    page.locator("#caller").press("Enter")
    page.locator("input#category").fill("路樹")
    page.locator("input#category").press("Enter")
    page.locator("input#district").fill("鳳山")
    page.locator("input#district").press("Enter")
    page.locator("#description").fill("路樹倒塌擋住車道")
    page.locator("#description").press("Control+Enter")
    case_no = page.locator(".case-number-plain").inner_text().split(" ")[1]
    # The number shows while the page is still parsed; the keys work once its scripts have run.
    page.wait_for_load_state("load")
    page.keyboard.press("Alt+Shift+M")
    expect(page).to_have_url(re.compile(r"/console/my-work$"))
    row = page.locator(f'#my-cases-body tr[data-case-no="{case_no}"]')
    expect(row.locator('[data-column="status"]')).to_have_text(re.compile("已分派"))
    expect(page.locator("#my-calls")).to_contain_text("已立案")
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected")

    responder = factory.user("agency", agency="PWD-MAINT")
    shown = responder.get(f"/cases/{case_no}").get_json()
    assert responder.act(case_no, "acknowledge", shown["version"]).status_code == 200
    expect(row.locator('[data-column="status"]')).to_have_text(re.compile("已確認收案.*剛更新"))
    expect(page.locator("#work-announcer")).to_contain_text(f"案件 {case_no}")

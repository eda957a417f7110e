"""Alerts stack compactly on the live page: a count that opens the list and the newest in one line, never a
page-wide banner per alert; each new one is still said once; no serious axe findings with the list open."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.factories import Factory
from tests.web.conftest import open_console, serious_violations


def test_three_alerts_are_one_count_that_opens_the_list(page: Page, factory: Factory, make_login) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    open_console(page, make_login())
    toggle = page.locator("#alerts-toggle")
    expect(toggle).to_be_hidden()  # nothing to count yet
    cases = [factory.case(address=f"鳳山區光復路二段{n}號") for n in (1, 2, 3)]
    expect(toggle).to_have_text("3 則警示")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#alert-list")).to_be_hidden()
    expect(page.locator("#alert-latest")).to_contain_text(cases[-1].case_no)  # the newest, in one line
    expect(page.locator("#alert-announcer")).to_contain_text(cases[-1].case_no)
    # The stack takes a line or two, however many alerts there are.
    stack = page.locator("section.alert-stack").bounding_box()
    assert stack is not None and stack["height"] < 120

    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#alert-list li")).to_have_count(3)
    expect(page.locator("#alert-list li").first).to_contain_text(cases[-1].case_no)
    assert serious_violations(page) == []
    page.keyboard.press("Enter")
    expect(page.locator("#alert-list")).to_be_hidden()

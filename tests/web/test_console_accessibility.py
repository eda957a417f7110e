"""What a screen-reader user hears and what a narrow or zoomed window shows, in real Chromium."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.factories import Factory
from tests.web.conftest import open_console, wait_until_pushed

LOG = "#event-log li"
# Every text the polite announcer is given, in order (it is emptied between sentences).
RECORD_ANNOUNCEMENTS = """() => {
  window.announced = [];
  const region = document.getElementById("event-announcer");
  new MutationObserver(() => { if (region.textContent) window.announced.push(region.textContent); })
    .observe(region, { childList: true, characterData: true, subtree: true });
}"""


def _announced(page: Page) -> list[str]:
    return page.evaluate("() => window.announced")


def test_the_counters_tables_name_does_not_change_with_every_push(page: Page, factory: Factory, make_login) -> None:
    open_console(page, make_login())
    table = page.get_by_role("table", name="各機關處理中的案件", exact=True)
    expect(table).to_be_visible()
    expect(page.locator("#counters-as-of")).to_have_text(re.compile(r"^更新時間 \d\d:\d\d:\d\d$"))
    factory.case()
    expect(page.locator('#counters tfoot td[data-column="open"]')).to_have_text("1")
    expect(table).to_be_visible()  # found by the same exact name after the counters changed


def _said(page: Page, case_no: str) -> None:
    """Until the polite announcer has said something about the case."""
    page.wait_for_function("caseNo => window.announced.some(text => text.includes(caseNo))", arg=case_no)


def test_a_new_case_is_announced_once_and_a_replay_as_one_summary(
    app: Flask, page: Page, context, factory: Factory, make_login
) -> None:
    open_console(page, make_login())
    expect(page.locator("#connection-state")).to_have_text("已連線，即時更新中。")
    page.evaluate(RECORD_ANNOUNCEMENTS)
    case = factory.case()
    expect(page.locator(f'{LOG}[data-case-no="{case.case_no}"]')).to_have_count(2)  # created, then assigned
    _said(page, case.case_no)
    marker = factory.case(address="鳳山區光復路二段98號")  # said after anything more about the first
    _said(page, marker.case_no)
    about_it = [text for text in _announced(page) if case.case_no in text]
    assert about_it == [f"新案、分派：{case.case_no} 路樹傾倒 鳳山區光復路二段132號。"]

    context.set_offline(True)
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "offline")
    missed = [factory.case(address=f"鳳山區光復路二段{number}號") for number in range(1, 4)]
    wait_until_pushed(app, missed[-1].case_no)  # to no one: the page is offline
    context.set_offline(False)
    expect(page.locator("#connection-state")).to_have_text("已連線，即時更新中。已補上 6 筆動態。", timeout=10_000)
    expect(page.locator(f'{LOG}[data-case-no="{missed[-1].case_no}"]')).to_have_count(2)
    live = factory.case(address="鳳山區光復路二段97號")  # a live one is said; the replay, had it been, before it
    _said(page, live.case_no)
    assert not [text for text in _announced(page) if any(one.case_no in text for one in missed)]


def test_the_empty_log_says_whether_events_can_arrive(page: Page, context, make_login) -> None:
    open_console(page, make_login())
    empty = page.locator("#events-empty")
    expect(empty).to_have_text("已連線，目前還沒有新的動態。")
    context.set_offline(True)
    expect(empty).to_have_text("目前離線，恢復連線後會補上期間的動態。")
    context.set_offline(False)
    expect(empty).to_have_text("已連線，目前還沒有新的動態。", timeout=10_000)


@pytest.fixture
def narrow(browser, live_server: str):
    """A window 640 CSS pixels wide: a 1280-pixel screen at 200 % zoom."""
    context = browser.new_context(base_url=live_server, locale="zh-TW", viewport={"width": 640, "height": 900})
    context.set_default_timeout(5000)
    yield context.new_page()
    context.close()


LINES_OF = """element => {
  const range = document.createRange();
  range.selectNodeContents(element);
  const boxes = [...range.getClientRects()].sort((a, b) => a.top - b.top);
  let lines = 0, bottom = -Infinity;
  for (const box of boxes) {
    if (box.top >= bottom - 2) lines += 1;  // below the line so far: a new line
    bottom = Math.max(bottom, box.bottom);
  }
  return lines;
}"""


def test_at_640_pixels_the_case_list_is_readable_and_its_button_is_one_line(
    narrow: Page, factory: Factory, make_login
) -> None:
    open_console(narrow, make_login())
    case = factory.case()
    row = narrow.locator(f'#awaiting-body tr[data-case-no="{case.case_no}"]')
    expect(row).to_be_visible()
    button = narrow.get_by_role("button", name=f"確認收案 {case.case_no}")
    assert button.evaluate(LINES_OF) == 1
    for column in ("category", "district", "assigned_at", "ack_due_at"):
        value = row.locator(f'[data-column="{column}"] .value')
        assert value.evaluate(LINES_OF) == 1, f"{column} wraps: {value.inner_text()!r}"
    assert row.locator('[data-column="case_no"] .value').evaluate(LINES_OF) == 1
    fits = narrow.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, "the page scrolls sideways"
    # Each value is labelled by its column's name, shown beside it.
    label = row.locator('[data-column="category"]').evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label == '"類別" / ""'  # shown, with no alternative text: a screen reader reads the column header
    # Still a table with its headers for a screen reader.
    expect(narrow.get_by_role("columnheader", name="類別")).to_have_count(1)
    expect(narrow.get_by_role("rowheader", name=case.case_no, exact=False)).to_have_count(1)

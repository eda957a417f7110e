"""The live console in real Chromium: events pushed as they happen, resumed after going offline, masked phones."""

from __future__ import annotations

import re
import time

from flask import Flask
from playwright.sync_api import Page, expect

from app.db import db
from app.models import User
from tests.factories import Factory
from tests.web.conftest import open_console, wait_until_pushed

LOG = "#event-log li"


def _logged(page: Page) -> list[tuple[int, str, str]]:
    """(event id, case number, type) of every entry in the log, top to bottom."""
    entries = page.locator(LOG).evaluate_all(
        "items => items.map(item => [Number(item.dataset.eventId), item.dataset.caseNo, item.dataset.type])"
    )
    return [tuple(entry) for entry in entries]


def test_a_responder_sees_their_agencys_new_dispatch_and_never_another_agencys(
    page: Page, factory: Factory, make_login
) -> None:
    # How fast it arrives is measured by `python -m bench push_latency`, not asserted here.
    open_console(page, make_login())
    elsewhere = factory.case(category_code="pothole")  # a pothole in Fongshan goes to the district office
    case = factory.case()  # a fallen tree goes to PWD-MAINT
    entry = page.locator(f'{LOG}[data-case-no="{case.case_no}"][data-type="case_assigned"]')
    entry.wait_for()
    expect(entry).to_contain_text("分派")
    expect(entry).to_contain_text("路樹傾倒")
    expect(entry).to_contain_text("鳳山區光復路二段132號")
    expect(entry.locator("time")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    expect(page.locator(f'#awaiting-body tr[data-case-no="{case.case_no}"]')).to_be_visible()
    # The other agency's events were committed before this case's, and events are pushed in order: had they
    # been pushed to this page, they would be here by now.
    assert elsewhere.case_no not in page.locator("#event-log").inner_text()
    assert elsewhere.case_no not in page.content()
    assert page.url.endswith("/console/live")  # no reload happened


def test_events_missed_offline_arrive_once_each_and_in_order(
    app: Flask, page: Page, context, factory: Factory, make_login
) -> None:
    open_console(page, make_login())
    first = factory.case()
    expect(page.locator(f'{LOG}[data-case-no="{first.case_no}"]')).to_have_count(2)
    context.set_offline(True)
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "offline")
    missed = [factory.case(address=f"鳳山區光復路二段{number}號") for number in range(1, 6)]
    wait_until_pushed(app, missed[-1].case_no)  # the server pushed them meanwhile, to no one
    context.set_offline(False)
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected", timeout=10_000)
    expect(page.locator(f'{LOG}[data-case-no="{missed[-1].case_no}"]')).to_have_count(2)
    expect(page.locator("#connection-state")).to_have_text("已連線，即時更新中。已補上 10 筆動態。")
    marker = factory.case(address="鳳山區光復路二段99號")  # anything sent twice would come before it
    expect(page.locator(f'{LOG}[data-case-no="{marker.case_no}"]')).to_have_count(2)
    logged = [entry for entry in _logged(page) if entry[1] != marker.case_no]
    ids = [event_id for event_id, _, _ in logged]
    assert len(ids) == len(set(ids)), f"an event was shown twice: {logged}"
    assert ids == sorted(ids, reverse=True), "the log is newest first"
    newest_first = [case_no for _, case_no, kind in logged if kind == "case_assigned"]
    assert newest_first == [case.case_no for case in reversed([first, *missed])]
    assert sum(1 for _, _, kind in logged if kind == "case_created") == 6


def test_a_page_reload_resumes_from_the_last_event_seen(page: Page, factory: Factory, make_login) -> None:
    open_console(page, make_login())
    seen = factory.case()
    expect(page.locator(f'{LOG}[data-case-no="{seen.case_no}"]')).to_have_count(2)
    page.goto("about:blank")  # the socket closes with the page
    unseen = factory.case()
    page.goto("/console/live")
    expect(page.locator(f'{LOG}[data-case-no="{unseen.case_no}"]')).to_have_count(2)
    expect(page.locator(f'{LOG}[data-case-no="{seen.case_no}"]')).to_have_count(0)


def test_the_agency_page_never_shows_the_reporters_full_phone_number(page: Page, factory: Factory, make_login) -> None:
    open_console(page, make_login())
    case = factory.case(reporter_phone="0912-345-678", reporter_name="王小明")
    row = page.locator(f'#awaiting-body tr[data-case-no="{case.case_no}"]')
    expect(row).to_contain_text("0912***678")
    expect(page.locator(f'{LOG}[data-case-no="{case.case_no}"]')).to_have_count(2)
    page.reload()
    expect(row).to_contain_text("0912***678")
    html = page.content()
    for written in ("0912-345-678", "0912345678", "+886912345678", "+886 912 345 678", "912-345-678"):
        assert written not in html
    assert "912345678" not in re.sub(r"\D", "", html)  # however it might be written


def test_a_responder_acknowledges_from_the_list_with_the_keyboard(page: Page, factory: Factory, make_login) -> None:
    open_console(page, make_login())
    case = factory.case()
    button = page.get_by_role("button", name=f"確認收案 {case.case_no}")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#awaiting-status")).to_have_text(f"已確認收案 {case.case_no}。")
    expect(page.locator(f'#awaiting-body tr[data-case-no="{case.case_no}"]')).to_have_count(0)
    expect(page.locator(f'{LOG}[data-case-no="{case.case_no}"][data-type="case_acknowledged"]')).to_have_count(1)


def test_the_page_is_built_for_screen_readers(page: Page, make_login) -> None:
    open_console(page, make_login())
    assert page.locator("html").get_attribute("lang") == "zh-Hant-TW"
    expect(page.get_by_role("heading", level=2)).to_have_text(["緊急通知", "即時統計", "待確認收案", "即時動態"])
    # Read out through one polite and one assertive region of their own, not line by line.
    expect(page.locator("#event-announcer")).to_have_attribute("aria-live", "polite")
    expect(page.locator("#alert-announcer")).to_have_attribute("aria-live", "assertive")
    expect(page.get_by_role("table", name="各機關處理中的案件", exact=True)).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("已分派、尚未確認收案"))).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("^動態清單"))).to_have_attribute("tabindex", "0")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="跳到主要內容")).to_be_focused()


def test_a_deactivated_responder_is_told_to_log_in_again_when_the_socket_reconnects(
    page: Page, context, make_login
) -> None:
    login = make_login()
    open_console(page, login)
    user = db.session.get(User, login.user_id)
    assert user is not None
    user.active = False
    db.session.commit()
    context.set_offline(True)
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "offline")
    context.set_offline(False)
    state = page.locator("#connection-state")
    expect(state).to_have_attribute("data-state", "refused")
    expect(state).to_contain_text("登入已失效")
    expect(state.get_by_role("link", name="重新登入")).to_have_attribute("href", "/login")


def test_a_console_asked_to_move_reconnects_and_shows_every_event_once(
    app: Flask, page: Page, factory: Factory, make_login
) -> None:
    """After a restart a web process asks some consoles to reconnect (app/realtime/balance.py); the page does so
    with its last event id: what was committed meanwhile arrives, nothing twice."""
    from app.realtime.connections import EXTENSION

    open_console(page, make_login())
    first = factory.case()
    expect(page.locator(f'{LOG}[data-case-no="{first.case_no}"]')).to_have_count(2)
    live = app.extensions[EXTENSION]
    asked = set(live.addresses())
    assert len(asked) == 1
    live.ask_to_reconnect(sorted(asked))
    meanwhile = factory.case(address="鳳山區光復路二段7號")  # before, during or after the move: once either way
    deadline = time.monotonic() + 10
    while not (set(live.addresses()) - asked):  # connected again, as a new Socket.IO session
        assert time.monotonic() < deadline, "the console did not reconnect when asked"
        time.sleep(0.05)
    assert not set(live.addresses()) & asked
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected")
    marker = factory.case(address="鳳山區光復路二段99號")
    expect(page.locator(f'{LOG}[data-case-no="{marker.case_no}"]')).to_have_count(2)
    expect(page.locator(f'{LOG}[data-case-no="{meanwhile.case_no}"]')).to_have_count(2)
    ids = [event_id for event_id, _, _ in _logged(page)]
    assert len(ids) == len(set(ids)), "an event was shown twice"
    assert page.url.endswith("/console/live")  # no reload happened

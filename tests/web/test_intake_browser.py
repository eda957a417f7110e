"""The intake page in real Chromium, keyboard only: a dispatch recorded and its number read; a second
report of the same place added to it; a progress inquiry found by the number typed another way; a draft
kept across a login."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.db import db
from app.models import Call, Case
from app.vocabulary import CallOutcome, Role
from tests.factories import Factory
from tests.web.conftest import log_in

CALL_URL = re.compile(r"/console/intake/calls/(\d+)$")
SHOTS = None  # set to a directory to keep screenshots while working on the page


def _start_call(page: Page, caller: str) -> None:
    """From any console page: Alt+Shift+N, the number, Enter."""
    page.wait_for_load_state()  # the page's keys work once its scripts have run
    page.keyboard.press("Alt+Shift+N")
    expect(page).to_have_url(re.compile(r"/console/intake$"))
    expect(page.get_by_label("來電號碼")).to_be_focused()
    page.keyboard.type(caller)
    page.keyboard.press("Enter")
    expect(page).to_have_url(CALL_URL)
    page.wait_for_load_state()  # the type-ahead is in place


def _choose(page: Page, name: str, typed: str, option: str) -> None:
    combobox = page.get_by_role("combobox", name=name)
    expect(combobox).to_be_focused()
    page.keyboard.type(typed)
    expect(page.get_by_role("option", name=re.compile(option)).first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(combobox).to_have_value(option)


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_an_agent_records_a_fallen_tree_dispatch_with_the_keyboard_alone_and_reads_the_number(
    page: Page, make_login
) -> None:
    log_in(page, make_login(Role.AGENT, None))
    _start_call(page, "0912-345-678")
    expect(page.get_by_role("heading", level=1)).to_have_text("來電：0912 345 678")
    _choose(page, "案件類別", "路樹", "路樹傾倒")
    page.keyboard.press("Tab")
    _choose(page, "行政區", "鳳山", "鳳山區")
    page.keyboard.press("Tab")
    expect(page.get_by_label("地址或地點")).to_be_focused()
    page.keyboard.type("光復路二段132號")
    page.keyboard.press("Enter")  # the next field, not a half-typed case sent
    expect(page.get_by_label("反映內容")).to_be_focused()
    page.keyboard.type("路樹倒塌擋住車道")
    expect(page.locator("#duplicates-status")).to_have_text("沒有可能重複的案件。")
    _shot(page, "intake-form")
    page.keyboard.press("Control+Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("通話已結束")
    number = page.locator("#case-number")
    expect(number).to_be_focused()
    expect(page.locator(".case-number")).to_have_text(re.compile(r"^\d{3} \d{4} \d{4}$"))
    expect(page.locator("#ended-announcer")).to_have_text(re.compile(r"^案件已成立，案號 \d{3} \d{4} \d{4}$"))
    _shot(page, "intake-ended")
    spoken = page.locator(".case-number").inner_text()
    db.session.rollback()
    case = db.session.scalars(select(Case)).one()
    assert spoken.replace(" ", "") == case.case_no.replace("-", "")
    assert (case.category.code, case.district.code, case.reporter_phone) == ("fallen_tree", "fongshan", "+886912345678")
    assert db.session.scalars(select(Call.outcome)).one() is CallOutcome.CASE_OPENED


def test_a_second_call_about_the_same_place_is_offered_the_case_and_one_key_adds_it(
    page: Page, make_login, factory: Factory
) -> None:
    first = factory.case(address="鳳山區光復路二段132號", reporter_phone="0911-000-111")
    factory.case(address="鳳山區光復路二段300號")  # the same street, too far along it
    log_in(page, make_login(Role.AGENT, None))
    _start_call(page, "0922 333 444")
    _choose(page, "案件類別", "fallen", "路樹傾倒")
    page.keyboard.press("Tab")
    _choose(page, "行政區", "fongshan", "鳳山區")
    page.keyboard.press("Tab")
    page.keyboard.type("高雄市鳳山區光復路２段 １３２ 號前")  # another spelling of the same place
    offered = page.locator("#duplicates li")
    expect(offered).to_have_count(1)
    expect(offered).to_contain_text("同一地點")
    spoken = f"{first.case_no[:3]} {first.case_no[3:7]} {first.case_no[8:]}"
    expect(page.locator("#intake-announcer")).to_contain_text(f"找到 1 件可能重複的案件，最近的是 {spoken}")
    _shot(page, "intake-duplicate")
    page.keyboard.press("Alt+Shift+1")

    expect(page.get_by_role("heading", level=1)).to_have_text("通話已結束")
    expect(page.locator(".outcome-line")).to_have_text("結果：追加反映（併入既有案件）")
    expect(page.locator(".case-number-plain")).to_have_text(f"書寫為 {first.case_no} · 共 2 人反映")
    shown = factory.agent.get(f"/cases/{first.case_no}").get_json()
    assert shown["report_count"] == 2
    events = factory.agent.get(f"/cases/{first.case_no}/events").get_json()
    assert events[-1]["event_type"] == "report_added"
    assert events[-1]["payload"]["reporter_phone"] == "+886922333444"


def test_a_progress_inquiry_is_found_by_the_callers_number_written_another_way(
    page: Page, make_login, factory: Factory
) -> None:
    case = factory.case(reporter_phone="0912-345-678")
    log_in(page, make_login(Role.AGENT, None))
    _start_call(page, "+886 912 345 678")
    history = page.get_by_role("region", name="來電者紀錄")
    expect(history).to_contain_text(case.address or "")
    inquiry = page.get_by_role("button", name=re.compile(f"進度查詢：{case.case_no[:3]}"))
    inquiry.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".outcome-line")).to_have_text("結果：進度查詢")
    db.session.rollback()
    assert db.session.execute(select(Call.outcome, Call.case_id)).one() == (CallOutcome.PROGRESS_INQUIRY, case.id)


def test_a_session_that_expired_mid_form_keeps_the_draft_after_logging_in_again(page: Page, make_login) -> None:
    login = make_login(Role.AGENT, None)
    log_in(page, login)
    _start_call(page, "0912-345-678")
    _choose(page, "案件類別", "路樹", "路樹傾倒")
    page.keyboard.press("Tab")
    _choose(page, "行政區", "鳳山", "鳳山區")
    page.get_by_label("地址或地點").fill("光復路二段132號")
    page.get_by_label("反映內容").fill("路樹倒塌擋住車道")
    call_url = page.url
    page.context.clear_cookies()  # the session is gone (expired, or logged out in another tab)
    page.get_by_label("反映內容").press("Control+Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("請重新送出")
    page.get_by_role("link", name="回到登入頁").click()
    log_in(page, login, path=page.url)
    expect(page).to_have_url(call_url)
    expect(page.get_by_role("status").filter(has_text="已還原")).to_be_visible()
    expect(page.get_by_role("combobox", name="案件類別")).to_have_value("路樹傾倒")
    expect(page.get_by_label("反映內容")).to_have_value("路樹倒塌擋住車道")
    page.get_by_label("反映內容").press("Control+Enter")
    expect(page.locator(".case-number")).to_have_text(re.compile(r"^\d{3} \d{4} \d{4}$"))

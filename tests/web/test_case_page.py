"""The case page and the search page in real Chromium: the timeline in words, delivery states driven through the
real outbox sender against the fake Twilio, a stale action explained and redone, who may see and do what, and a
search by keyboard only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.alerting.outbox import send_due
from app.cases import actions
from app.db import db, utcnow
from app.models import CaseEvent, Notification
from app.telephony.replies import record_status
from app.vocabulary import NotificationKind, NotificationStatus, Role
from dispatch.channels.twilio import TwilioChannel
from tests.factories import Factory
from tests.fake_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, FakeTwilio
from tests.web.conftest import log_in, serious_violations

PUBLIC = "https://hotline.example.gov.tw"
TIMELINE = "#timeline-list > li"


def _open_case_page(page: Page, case_no: str, lang: str = "zh-TW") -> None:
    page.goto(f"/console/cases/{case_no}?lang={lang}")
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected")


def _deliver(fake_twilio: FakeTwilio) -> None:
    """The real outbox sender, once, against the fake Twilio; then Twilio's callback for the citizen's SMS."""
    channel = TwilioChannel(
        TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, "+15005550006", api_base_url=fake_twilio.base_url, timeout=2.0
    )
    send_due(db.session, channel, public_base_url=PUBLIC, now=utcnow())
    receipt = db.session.scalar(select(Notification).where(Notification.kind == NotificationKind.CITIZEN_RECEIPT))
    assert receipt is not None and receipt.provider_id
    assert record_status(db.session, sid=receipt.provider_id, status="delivered", error_code=None, now=utcnow())


def test_the_case_page_shows_the_timeline_in_words_and_the_sms_delivery_states(
    page: Page, factory: Factory, make_login, fake_twilio: FakeTwilio
) -> None:
    case = factory.case(reporter_phone="0912-345-678", wants_sms_reply=True)
    duty = case.agency.duty_phones
    assert len(duty) == 2
    fake_twilio.refuse(duty[1])  # not a number Twilio will take: dead at once
    _deliver(fake_twilio)
    by_recipient = {row.recipient: row.status for row in db.session.scalars(select(Notification))}
    assert by_recipient == {
        "+886912345678": NotificationStatus.DELIVERED,
        duty[0]: NotificationStatus.SENT,
        duty[1]: NotificationStatus.DEAD,
    }

    log_in(page, make_login(Role.AGENT, None))
    _open_case_page(page, case.case_no)
    timeline = page.locator(TIMELINE)
    expect(timeline.filter(has_text="新案")).to_contain_text("電話受理的派工案件：路樹傾倒")
    expect(timeline.filter(has_text="分派")).to_contain_text("派至 工務局養護工程處")
    dead = timeline.filter(has_text="通知失敗")
    expect(dead).to_contain_text("簡訊無法送達 0912 000")
    expect(dead).to_contain_text("請以人工電話通知機關")
    assert "case_assigned" not in page.locator("#case-timeline").inner_text()  # words, not codes

    rows = page.locator("#case-notifications tbody tr")
    expect(rows.filter(has_text="給民眾的案號簡訊")).to_contain_text("已送達")
    expect(rows.filter(has_text="0912 345 678")).to_contain_text("已送達")
    expect(page.locator('#case-notifications tr[data-status="sent"]')).to_contain_text("已送出")
    expect(page.locator('#case-notifications tr[data-status="dead"]')).to_contain_text("無法送達")

    # A new event arrives while the page is open: added to the timeline in words, and said.
    actions.add_note(
        session=db.session,
        actor=factory.agent.actor,
        case_no=case.case_no,
        version=case.version,
        text="現場已拉起封鎖線",
    )
    expect(timeline.filter(has_text="現場已拉起封鎖線")).to_contain_text("加註")
    expect(page.locator("#case-announcer")).to_contain_text("本案新事件：加註 現場已拉起封鎖線")
    expect(page.locator("#case-changed")).to_contain_text("本案在您開啟頁面後已有變動")


def test_an_action_sent_at_a_stale_version_is_explained_and_can_be_redone(
    page: Page, factory: Factory, make_login
) -> None:
    case = factory.case()
    read_at = case.version
    log_in(page, make_login(Role.AGENT, None))
    _open_case_page(page, case.case_no)
    page.get_by_label("內容").fill("已聯絡里長協助")
    actions.add_note(
        session=db.session,
        actor=factory.agent.actor,
        case_no=case.case_no,
        version=read_at,
        text="另一位同仁：廠商已出發",
    )
    page.get_by_role("button", name="加註", exact=True).click()

    stale = page.locator("#stale-notice")
    expect(stale).to_be_focused()
    expect(stale).to_contain_text("您的「加註」沒有送出")
    expect(stale).to_contain_text("另一位同仁：廠商已出發")
    expect(page.get_by_label("內容")).to_have_value("已聯絡里長協助")  # kept
    assert (
        db.session.scalars(select(CaseEvent).where(CaseEvent.payload["text"].as_string() == "已聯絡里長協助")).all()
        == []
    )

    page.get_by_role("button", name="加註", exact=True).click()  # again, at the version the page now carries
    expect(page.locator(".notice[role=status]")).to_contain_text(f"已完成「加註」：{case.case_no}")
    expect(page.locator(TIMELINE).filter(has_text="已聯絡里長協助")).to_have_count(1)
    expect(page.locator("#stale-notice")).to_have_count(0)


def test_a_responder_of_another_agency_gets_404_on_the_case_page(page: Page, factory: Factory, make_login) -> None:
    case = factory.case(reporter_phone="0912-345-678")
    assert case.agency.code == "PWD-MAINT"
    log_in(page, make_login(Role.AGENCY, "EPB"))
    response = page.goto(f"/console/cases/{case.case_no}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_contain_text("找不到")
    assert "路樹" not in page.content() and "光復路" not in page.content()


def test_the_own_agency_acts_and_the_mayors_office_only_reads(page: Page, factory: Factory, make_login) -> None:
    case = factory.case(reporter_phone="0912-345-678")
    log_in(page, make_login(Role.MAYOR_OFFICE, None))
    _open_case_page(page, case.case_no)
    expect(page.locator("#case-actions")).to_contain_text("市長室僅供檢視")
    expect(page.locator("#case-actions form")).to_have_count(0)
    expect(page.locator("#case-fields")).to_contain_text("0912***678")
    # Logged out, not cookies cleared: a re-read still in flight could set the session cookie again.
    page.get_by_role("button", name="登出").click()
    expect(page).to_have_url(re.compile(r"/login$"))

    log_in(page, make_login(Role.AGENCY, "PWD-MAINT"))
    _open_case_page(page, case.case_no)
    forms = page.locator("#case-actions form")
    expect(forms).to_have_count(3)  # acknowledge, report back, note: not assign, close, merge or cancel
    page.get_by_role("button", name="確認收到此案").click()
    expect(page.locator(".notice[role=status]")).to_contain_text("已完成「確認收案」")
    expect(page.locator("#case-fields")).to_contain_text("機關確認收案")
    expect(page.locator("#case-actions form")).to_have_count(3)  # now: wait for the citizen, report back, note


def test_a_phone_typed_another_way_finds_the_case_and_enter_opens_it_keyboard_only(
    page: Page, factory: Factory, make_login
) -> None:
    case = factory.case(reporter_phone="0912-345-678")
    factory.case(reporter_phone="0922-000-111", address="鳳山區光復路二段1號")
    log_in(page, make_login(Role.AGENT, None))
    expect(page).to_have_url(re.compile(r"/console/intake"))  # an agent's home
    page.wait_for_load_state()  # the menu's keys listen from then on
    page.keyboard.press("Alt+Shift+S")
    expect(page).to_have_url(re.compile(r"/console/search"))
    page.wait_for_load_state()  # its script listens from then on
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type("+886 912 345 678")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"q=%2B886"))
    expect(page.locator("#results-count")).to_have_text("找到 1 件案件。")
    page.wait_for_load_state()
    page.keyboard.press("j")
    expect(page.locator(".result-link").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/console/cases/{case.case_no}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"案件 {case.case_no}")
    page.go_back()
    expect(page.locator("#q")).to_have_value("+886 912 345 678")  # the query lives in the URL


def test_an_agency_searches_its_own_cases_only(page: Page, factory: Factory, make_login) -> None:
    own = factory.case()
    other = factory.case(category_code="pothole")  # goes to the district office
    log_in(page, make_login(Role.AGENCY, "PWD-MAINT"))
    page.goto("/console/search?q=鳳山區")
    expect(page.locator("#results")).to_contain_text(own.case_no)
    assert other.case_no not in page.content()
    expect(page.locator("#agency")).to_have_count(0)  # no agency filter: it is always their own


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_no_serious_violations_on_the_case_page_with_its_forms_and_the_search_with_results(
    page: Page, factory: Factory, make_login, lang: str
) -> None:
    case = factory.case(reporter_phone="0912-345-678", wants_sms_reply=True)
    case = actions.acknowledge_case(
        session=db.session,
        actor=factory.agent.actor,
        case_no=case.case_no,
        version=case.version,
        now=utcnow() + timedelta(minutes=1),
    )
    log_in(page, make_login(Role.SUPERVISOR, None))
    _open_case_page(page, case.case_no, lang)
    assert page.locator("#case-actions form").count() >= 5
    assert serious_violations(page) == []
    page.locator("#action-note button[type=submit]").click()  # empty: the error next to the field
    expect(page.locator("#note-text-error")).to_be_visible()
    assert serious_violations(page) == []
    page.goto(f"/console/search?q=%E8%B7%AF%E6%A8%B9&lang={lang}")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    assert serious_violations(page) == []

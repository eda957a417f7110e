"""Requests to the centre and the wall's work, in Chromium: a jurisdiction request approved on the wall moves the
case and its alerts to the other agency; an extension moves the board's time left; a dead alert takes a call by
hand and leaves the list; a triage case is assigned from the wall; no serious axe findings in either language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from app.alerting.outbox import send_due
from app.cases import actions, requests
from app.db import db, utcnow
from app.models import Case, CaseEvent, Notification
from app.vocabulary import CaseStatus, NotificationKind, NotificationStatus, Role
from dispatch.channels.twilio import TwilioChannel
from tests.factories import Factory
from tests.fake_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, FakeTwilio
from tests.web.conftest import log_in, serious_violations

FONGSHAN_DUTY = "+886912100112"


def _log_out(page: Page) -> None:
    page.locator(".logout-form button").click()
    expect(page).to_have_url("/login")


def _open_wall(page: Page, lang: str = "zh-TW") -> None:
    page.goto(f"/console/wall?lang={lang}")
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected")


def _case(case_no: str) -> Case:
    db.session.rollback()
    db.session.expire_all()
    case = db.session.scalar(select(Case).where(Case.case_no == case_no))
    assert case is not None
    return case


def _send_outbox(fake_twilio: FakeTwilio) -> None:
    channel = TwilioChannel(
        TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, "+15005550006", api_base_url=fake_twilio.base_url, timeout=2.0
    )
    send_due(db.session, channel, public_base_url="https://hotline.example.gov.tw", now=utcnow())


def test_a_jurisdiction_request_approved_on_the_wall_moves_the_case_and_its_alerts(
    page: Page, factory: Factory, make_login, fake_twilio: FakeTwilio
) -> None:
    case = factory.case()
    _send_outbox(fake_twilio)  # the first dispatch SMS, to the maintenance office's duty phones
    fake_twilio.reset()

    log_in(page, make_login(Role.AGENCY, "PWD-MAINT"))
    expect(page).to_have_url("/console/board")
    page.goto(f"/console/cases/{case.case_no}")
    form = page.locator("#request-jurisdiction")
    form.get_by_label("應由哪個機關處理").select_option("DO-FONGSHAN")
    form.get_by_label("理由").fill("路樹位於區公所管理的公園內")
    form.get_by_role("button", name="送出改分申請").click()
    expect(page.locator(".notice")).to_contain_text(f"已送出案件 {case.case_no} 的申請")
    expect(page.locator('#case-requests tr[data-state="pending"]')).to_contain_text("鳳山區公所")
    _log_out(page)

    log_in(page, make_login(Role.SUPERVISOR, None))
    _open_wall(page)
    row = page.locator(f'section[data-list="requests"] tr[data-case-no="{case.case_no}"]')
    expect(row).to_contain_text("申請改分給 鳳山區公所")
    expect(row).to_contain_text("路樹位於區公所管理的公園內")
    row.get_by_role("button", name=f"同意 {case.case_no}", exact=True).click()
    expect(page.locator(".notice")).to_contain_text(f"已同意案件 {case.case_no} 的申請")
    expect(page.locator(f'section[data-list="requests"] tr[data-case-no="{case.case_no}"]')).to_have_count(0)
    _log_out(page)

    moved = _case(case.case_no)
    assert moved.agency is not None and moved.agency.code == "DO-FONGSHAN" and moved.sla_round == 2
    # The new agency's board shows it awaiting acknowledgement; the old one's does not.
    log_in(page, make_login(Role.AGENCY, "DO-FONGSHAN"))
    expect(page).to_have_url("/console/board")
    expect(page.locator(f'section[data-section="awaiting"] tr[data-case-no="{case.case_no}"]')).to_be_visible()
    # The SMS goes to the new agency's duty phone, and only there.
    _send_outbox(fake_twilio)
    sent_to = {request.to for request in fake_twilio.accepted("sms")}
    assert sent_to == {FONGSHAN_DUTY}


def test_an_approved_extension_moves_the_time_left_on_the_board(page: Page, factory: Factory, make_login) -> None:
    case = factory.case()
    responder = factory.user("agency", agency="PWD-MAINT").actor
    actions.acknowledge_case(session=db.session, actor=responder, case_no=case.case_no, version=case.version)
    log_in(page, make_login(Role.AGENCY, "PWD-MAINT"))
    expect(page).to_have_url("/console/board")
    cell = page.locator(f'tr[data-case-no="{case.case_no}"] td[data-column="time_left"]')
    expect(cell).to_contain_text("剩 3 小時")  # a fallen tree: the report within 4 hours

    # From the board row to the case's requests.
    page.locator(f'tr[data-case-no="{case.case_no}"]').get_by_role("link", name="申請…").click()
    expect(page).to_have_url(f"/console/cases/{case.case_no}#case-requests")
    due = _case(case.case_no).report_due_at
    assert due is not None
    wanted = (due + timedelta(days=2)).astimezone(factory.tz)
    form = page.locator("#request-extension")
    form.get_by_label("新的回報期限").fill(wanted.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("理由").fill("需調派大型吊車")
    form.get_by_role("button", name="送出展延申請").click()
    expect(page.locator(".notice")).to_contain_text("已送出")
    page.goto("/console/board")
    expect(page.locator(f'tr[data-case-no="{case.case_no}"]')).to_contain_text("展延申請中")

    db.session.rollback()  # a fresh read: the request was written by the server
    pending = db.session.scalar(select(Case.id).where(Case.case_no == case.case_no))
    request_id = db.session.execute(
        select(CaseEvent.payload).where(CaseEvent.case_id == pending, CaseEvent.event_type == "extension_requested")
    ).scalar_one()["request_id"]
    requests.approve_request(session=db.session, actor=factory.user("supervisor").actor, request_id=request_id)

    page.goto("/console/board")
    expect(cell).to_contain_text("剩 2 天 3 小時")
    expect(page.locator(f'tr[data-case-no="{case.case_no}"]')).not_to_contain_text("展延申請中")
    moved_to = _case(case.case_no).report_due_at
    assert moved_to is not None
    assert timedelta(0) <= moved_to - wanted.replace(second=0, microsecond=0) < timedelta(seconds=1)


def test_the_dead_alert_list_takes_a_call_by_hand(page: Page, factory: Factory, make_login) -> None:
    case = factory.case()
    db.session.execute(
        update(Notification)
        .where(Notification.case_id == case.id, Notification.kind == NotificationKind.DISPATCH_SMS.value)
        .values(status=NotificationStatus.DEAD, last_error="unreachable")
    )
    db.session.commit()
    log_in(page, make_login(Role.SUPERVISOR, None))
    _open_wall(page)
    rows = page.locator(f'section[data-list="dead_alerts"] tr[data-case-no="{case.case_no}"]')
    expect(rows).to_have_count(2)
    first = rows.first
    first.get_by_label(f"{case.case_no} 電話聯繫紀錄").fill("值班王先生接聽")
    first.get_by_role("button", name=f"已電話通知 {case.case_no}").click()
    expect(page.locator(".notice")).to_contain_text("已記錄電話通知")
    expect(rows).to_have_count(1)
    db.session.rollback()
    called = db.session.scalars(
        select(CaseEvent.payload).where(CaseEvent.case_id == case.id, CaseEvent.event_type == "agency_called")
    ).all()
    assert len(called) == 1 and called[0]["note"] == "值班王先生接聽" and isinstance(called[0]["notification_id"], int)


def _to_triage(case: Case) -> None:
    """As a failed routing leaves a case: new, with no agency (the seeded rules route everything)."""
    db.session.execute(update(Case).where(Case.id == case.id).values(status=CaseStatus.NEW, agency_id=None))
    db.session.commit()


def test_a_triage_case_is_assigned_from_the_wall(page: Page, factory: Factory, make_login) -> None:
    case = factory.case()
    _to_triage(case)
    log_in(page, make_login(Role.SUPERVISOR, None))
    _open_wall(page)
    row = page.locator(f'section[data-list="triage"] tr[data-case-no="{case.case_no}"]')
    row.get_by_label(f"{case.case_no} 分派給").select_option("DO-FONGSHAN")
    row.get_by_role("button", name=f"分派 {case.case_no}").click()
    expect(page.locator(".notice")).to_contain_text(f"案件 {case.case_no} 已分派")
    expect(page.locator(f'section[data-list="triage"] tr[data-case-no="{case.case_no}"]')).to_have_count(0)
    assigned = _case(case.case_no)
    assert assigned.agency is not None and assigned.agency.code == "DO-FONGSHAN"


def test_a_refusal_without_a_reason_is_a_page_with_the_reason_and_changes_nothing(
    page: Page, factory: Factory, make_login
) -> None:
    case = factory.case()
    asked = requests.request_jurisdiction(
        session=db.session,
        actor=factory.user("agency", agency="PWD-MAINT").actor,
        case_no=case.case_no,
        to_agency="DO-FONGSHAN",
        reason="不是本處的",
    )
    log_in(page, make_login(Role.SUPERVISOR, None))
    _open_wall(page)
    row = page.locator(f'section[data-list="requests"] tr[data-case-no="{case.case_no}"]')
    # The browser's own check stops an empty reason; without it the server says why (422).
    row.locator("input[name=reason]").evaluate("node => node.removeAttribute('required')")
    with page.expect_response(lambda response: "/refuse" in response.url) as answer:
        row.get_by_role("button", name=f"不同意 {case.case_no}", exact=True).click()
    assert answer.value.status == 422
    expect(page.get_by_role("alert")).to_contain_text("必填")
    db.session.expire_all()
    assert _case(case.case_no).agency.code == "PWD-MAINT"  # type: ignore[union-attr]
    from app.models import CaseRequest

    assert db.session.get(CaseRequest, asked.id).state == "pending"  # type: ignore[union-attr]


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_the_wall_with_its_queues_has_no_serious_accessibility_violations(
    page: Page, factory: Factory, make_login, lang: str
) -> None:
    _to_triage(factory.case())
    dead = factory.case(address="鳳山區光復路二段10號")
    db.session.execute(
        update(Notification)
        .where(Notification.case_id == dead.id, Notification.kind == NotificationKind.DISPATCH_SMS.value)
        .values(status=NotificationStatus.DEAD, last_error="unreachable")
    )
    db.session.commit()
    requests.request_jurisdiction(
        session=db.session,
        actor=factory.user("agency", agency="PWD-MAINT").actor,
        case_no=dead.case_no,
        to_agency="DO-FONGSHAN",
        reason="不是本處的",
    )
    log_in(page, make_login(Role.SUPERVISOR, None))
    for size in ({"width": 1280, "height": 800}, {"width": 1920, "height": 1080}):
        page.set_viewport_size(size)
        _open_wall(page, lang)
        expect(page.locator('section[data-list="triage"] tbody tr')).to_have_count(1)
        expect(page.locator('section[data-list="requests"] tbody tr')).to_have_count(1)
        assert serious_violations(page) == []


def test_reroute_and_merge_by_case_number_from_the_wall(page: Page, factory: Factory, make_login) -> None:
    first = factory.case()
    second = factory.case(address="鳳山區光復路二段133號")
    log_in(page, make_login(Role.SUPERVISOR, None))
    _open_wall(page)
    page.get_by_label("案號", exact=True).first.fill(first.case_no)
    page.get_by_label("改分給").select_option("DO-FONGSHAN")
    page.get_by_role("button", name="改分", exact=True).click()
    expect(page.locator(".notice")).to_contain_text(f"案件 {first.case_no} 已分派")
    assert _case(first.case_no).agency.code == "DO-FONGSHAN"  # type: ignore[union-attr]

    merge = page.locator("form[action='/console/wall/merge']")
    merge.get_by_label("案號", exact=True).fill(second.case_no)
    merge.get_by_label("併入案號").fill(second.case_no)  # into itself: refused with the reason
    with page.expect_response(lambda response: response.url.endswith("/console/wall/merge")) as answer:
        merge.get_by_role("button", name="併案").click()
    assert answer.value.status == 422
    assert _case(second.case_no).status is CaseStatus.ASSIGNED
    page.locator("#refused-back").click()
    merge = page.locator("form[action='/console/wall/merge']")
    merge.get_by_label("案號", exact=True).fill(second.case_no)
    merge.get_by_label("併入案號").fill(first.case_no)
    merge.get_by_role("button", name="併案").click()
    expect(page.locator(".notice")).to_contain_text(f"案件 {second.case_no} 已併入 {first.case_no}")
    assert _case(second.case_no).status is CaseStatus.MERGED


def test_a_supervisor_decides_on_the_case_page_too(page: Page, factory: Factory, make_login) -> None:
    case = factory.case()
    due = _case(case.case_no).report_due_at
    assert due is not None
    requests.request_extension(
        session=db.session,
        actor=factory.user("agency", agency="PWD-MAINT").actor,
        case_no=case.case_no,
        report_due_at=due + timedelta(hours=6),
        reason="需調派吊車",
    )
    log_in(page, make_login(Role.SUPERVISOR, None))
    page.goto(f"/console/cases/{case.case_no}")
    section = page.locator("#case-requests")
    section.get_by_label("不同意的理由").fill("吊車已由他處支援")
    section.get_by_role("button", name="不同意").click()
    expect(page).to_have_url(f"/console/cases/{case.case_no}")
    expect(page.locator('#case-requests tr[data-state="refused"]')).to_contain_text("吊車已由他處支援")
    # The trail says it in words: the request with its dates, the refusal with its reason.
    timeline = page.locator("#timeline-list > li")
    expect(timeline.filter(has_text="新回報期限")).to_contain_text("需調派吊車")
    expect(timeline.filter(has_text="原因：吊車已由他處支援")).to_have_count(1)
    assert _case(case.case_no).report_due_at == due


def test_a_long_list_shows_eight_and_a_link_to_the_rest(page: Page, factory: Factory, make_login) -> None:
    for number in range(10):
        _to_triage(factory.case(address=f"鳳山區光復路二段{number + 1}號"))
    log_in(page, make_login(Role.SUPERVISOR, None))
    _open_wall(page)
    triage = page.locator('section[data-list="triage"]')
    expect(triage.locator("tbody tr")).to_have_count(8)
    triage.get_by_role("link", name="另有 2 件未列出。").click()
    expect(page).to_have_url("/console/wall?more=triage#wall-triage")
    expect(page.locator('section[data-list="triage"] tbody tr')).to_have_count(10)

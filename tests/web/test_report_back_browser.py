"""Reporting back and the closure review in Chromium: a responder acknowledges and reports with a photo by
keyboard from the board; a supervisor accepts from the wall's review list and the citizen's SMS reaches the fake
Twilio; a return puts the case in the board's 'returned' section with a new deadline; the photo is served with no
EXIF while its place stays in the database; no serious axe findings on the new forms in zh-TW and English.

(A dispatch appearing on the board without a reload: tests/web/test_board.py, first test.)"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.alerting.outbox import send_due
from app.cases import actions
from app.db import db, utcnow
from app.models import Case, CasePhoto
from app.vocabulary import Role
from dispatch.channels.twilio import TwilioChannel
from tests import photo_files
from tests.factories import Factory, case_state
from tests.fake_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, FakeTwilio
from tests.web.conftest import log_in, serious_violations

PUBLIC = "https://hotline.example.gov.tw"


def _tab_to(page: Page, case_no: str) -> None:
    """Tab from the top of the page until the case's link has the focus (keyboard only, as a user would)."""
    page.locator("#main").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.textContent?.trim()") == case_no:
            return
    raise AssertionError(f"Tab never reached {case_no}")


def _row(page: Page, section: str, case_no: str):
    return page.locator(f'section[data-section="{section}"] tr[data-case-no="{case_no}"]')


def _log_out(page: Page) -> None:
    page.get_by_role("button", name=re.compile("登出|Log out")).click()
    expect(page).to_have_url(re.compile("/login"))


def _report_by_keyboard(page: Page, case: Case, tmp_path: Path) -> None:
    """From the board: Tab to the case, `a` acknowledges, `r` opens the report form; the form filled by keys
    (the photo through the file chooser, which is the operating system's dialog)."""
    page.goto("/console/board")
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected")
    _tab_to(page, case.case_no)
    page.keyboard.press("a")
    expect(_row(page, "in_progress", case.case_no)).to_be_visible()
    expect(page.get_by_role("link", name=case.case_no, exact=True)).to_be_focused()
    page.keyboard.press("r")
    expect(page).to_have_url(re.compile(rf"/console/cases/{case.case_no}#action-report$"))
    outcome = page.locator("#report-outcome")
    expect(outcome).to_be_focused()
    page.keyboard.press("ArrowDown")  # the first outcome: 已處理完成
    expect(outcome).to_have_value("done")
    page.keyboard.press("Tab")
    expect(page.locator("#report-text")).to_be_focused()
    page.keyboard.type("已派員移除倒木，車道恢復通行")
    photo = tmp_path / "IMG_0001.JPG"
    photo.write_bytes(photo_files.jpeg(orientation=6))
    page.keyboard.press("Tab")
    expect(page.locator("#report-photos")).to_be_focused()
    page.locator("#report-photos").set_input_files(str(photo))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # 送出回報
    expect(page.locator("#case-fields")).to_contain_text("已處理完成")
    expect(page.locator("#case-photos img")).to_have_count(1)


def test_a_report_by_keyboard_with_a_photo_accepted_from_the_wall_closes_and_texts_the_citizen(
    page: Page, factory: Factory, make_login, fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    case = factory.case(reporter_phone="0912-345-678", wants_sms_reply=True)
    log_in(page, make_login(Role.AGENCY, "PWD-MAINT"))
    expect(page).to_have_url("/console/board")
    _report_by_keyboard(page, case, tmp_path)

    # The photo: served with no EXIF to the responder, its place kept as data.
    thumb = page.locator("#case-photos img")
    image_url = page.locator("#case-photos a").get_attribute("href")
    assert image_url and thumb.get_attribute("alt")
    served = page.request.get(image_url)
    assert served.status == 200 and served.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(served.body()))
    assert image.size == (300, 400) and dict(image.getexif()) == {}
    db.session.rollback()
    row = db.session.scalar(select(CasePhoto))
    assert row is not None
    assert row.gps_latitude == pytest.approx(photo_files.LATITUDE, abs=1e-4)
    assert row.gps_longitude == pytest.approx(photo_files.LONGITUDE, abs=1e-4)
    _log_out(page)

    log_in(page, make_login(Role.SUPERVISOR, None))
    page.goto("/console/wall")
    review = page.locator('section[data-list="awaiting_review"]')
    expect(review).to_contain_text(case.case_no)
    expect(review).to_contain_text("已處理完成")
    review.get_by_role("link", name=case.case_no).click()
    accept = page.locator("#action-close")
    expect(accept).to_contain_text("核可回報並結案")
    expect(page.locator("#close-resolution")).to_have_value("已派員移除倒木，車道恢復通行")
    accept.get_by_role("button", name="核可並結案").click()
    expect(page.locator("#case-fields")).to_contain_text("已結案")
    assert case_state(case.case_no).status == "closed"

    channel = TwilioChannel(
        TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, "+15005550006", api_base_url=fake_twilio.base_url, timeout=2.0
    )
    send_due(db.session, channel, public_base_url=PUBLIC, now=utcnow())
    to_citizen = [sms for sms in fake_twilio.accepted("sms") if sms.to == "+886912345678"]
    assert [sms.body for sms in to_citizen if "處理情形：" in (sms.body or "")] == [
        f"【高雄市1999】案件 {case.case_no} 處理情形：已派員移除倒木，車道恢復通行"
    ]


def test_a_returned_report_is_back_on_the_board_with_a_new_deadline(page: Page, factory: Factory, make_login) -> None:
    case = factory.case()
    responder = factory.user("agency", agency="PWD-MAINT").actor
    case = actions.report_back(
        session=db.session, actor=responder, case_no=case.case_no, version=case.version, text="已處理", outcome="done"
    )
    round_before = case.sla_round
    log_in(page, make_login(Role.SUPERVISOR, None))
    page.goto(f"/console/cases/{case.case_no}")
    form = page.locator("#action-return")
    form.get_by_role("button", name="退回").click()  # no reason: refused next to the field, nothing changed
    expect(page.locator("#return-reason-error")).to_be_visible()
    assert case_state(case.case_no).status == "reported"
    page.locator("#return-reason").fill("照片看不出已處理，請補拍現場")
    page.locator("#action-return").get_by_role("button", name="退回").click()
    expect(page.locator("#case-timeline")).to_contain_text("照片看不出已處理，請補拍現場")
    _log_out(page)

    log_in(page, make_login(Role.AGENCY, "PWD-MAINT"))
    expect(page).to_have_url("/console/board")
    row = _row(page, "returned", case.case_no)
    expect(row).to_be_visible()
    expect(row.locator('td[data-column="time_left"]')).to_contain_text("剩")
    db.session.rollback()
    returned = db.session.scalar(select(Case).where(Case.case_no == case.case_no))
    assert returned is not None and returned.sla_round == round_before + 1


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_no_serious_violations_on_the_board_and_the_case_page_with_the_new_forms(
    page: Page, factory: Factory, make_login, lang: str
) -> None:
    waiting = factory.case()
    reported = factory.case(address="鳳山區光復路二段2號")
    responder = factory.user("agency", agency="PWD-MAINT").actor
    reported = actions.report_back(
        session=db.session,
        actor=responder,
        case_no=reported.case_no,
        version=reported.version,
        text="已處理",
        outcome="scheduled",
        photos=[photo_files.upload()],
    )
    log_in(page, make_login(Role.AGENCY, "PWD-MAINT"))
    page.goto(f"/console/board?lang={lang}")
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected")
    assert serious_violations(page) == []
    page.goto(f"/console/cases/{waiting.case_no}?lang={lang}#action-report")
    expect(page.locator("#report-outcome")).to_be_focused()
    page.locator("#action-report button[type=submit]").click()  # nothing filled: the errors next to the fields
    expect(page.locator("#report-outcome-error")).to_be_visible()
    assert serious_violations(page) == []
    _log_out(page)
    log_in(page, make_login(Role.SUPERVISOR, None), "/login?lang=zh-TW")
    page.goto(f"/console/cases/{reported.case_no}?lang={lang}")
    expect(page.locator("#case-photos img")).to_have_count(1)
    expect(page.locator("#action-return")).to_be_visible()
    assert serious_violations(page) == []
    page.goto(f"/console/wall?lang={lang}")
    expect(page.locator('section[data-list="awaiting_review"]')).to_contain_text(reported.case_no)
    assert serious_violations(page) == []


def test_photos_that_would_be_refused_are_said_before_sending(
    page: Page, factory: Factory, make_login, tmp_path: Path
) -> None:
    case = factory.case()
    before = case_state(case.case_no)
    log_in(page, make_login(Role.AGENCY, "PWD-MAINT"))
    page.goto(f"/console/cases/{case.case_no}#action-report")
    chosen = []
    for number in range(6):
        path = tmp_path / f"IMG_{number}.JPG"
        path.write_bytes(photo_files.jpeg(gps=False))
        chosen.append(str(path))
    page.locator("#report-photos").set_input_files(chosen)
    expect(page.locator("#report-photos-check")).to_have_text("最多只能附 5 張照片（您選了 6 張），請少選幾張。")
    page.locator("#report-outcome").select_option("done")
    page.locator("#report-text").fill("已處理")
    page.locator("#action-report button[type=submit]").click()
    expect(page.locator("#report-photos")).to_be_focused()  # not sent: the choice is the user's to change
    assert case_state(case.case_no) == before
    page.locator("#report-photos").set_input_files(chosen[:1])
    expect(page.locator("#report-photos-check")).to_have_text("")

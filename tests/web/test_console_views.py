"""What each role's live page shows in real Chromium: the mayor's office its statistics, staff every
agency's cases with whose they are and the caller's number in full, and deadline markers in words."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from app.db import utcnow
from app.vocabulary import Role
from tests.factories import Factory
from tests.web.conftest import open_console


def _row(page: Page, case_no: str):
    return page.locator(f'#awaiting-body tr[data-case-no="{case_no}"]')


def test_the_mayors_office_sees_live_counters_and_no_list_that_would_never_change(
    page: Page, factory: Factory, make_login
) -> None:
    case_requests: list[str] = []
    page.on("request", lambda request: case_requests.append(request.url) if "/api/v1/cases" in request.url else None)
    open_console(page, make_login(Role.MAYOR_OFFICE))
    expect(page.get_by_role("heading", level=2)).to_have_text(["即時統計"])
    expect(page.locator("#statistics-note")).to_have_text(re.compile("^本頁顯示各機關的即時統計數字"))
    for gone in ("#awaiting", "#event-log", "#alert-list"):
        expect(page.locator(gone)).to_have_count(0)
    total_open = page.locator('#counters tfoot td[data-column="open"]')
    expect(total_open).to_have_text("0")
    factory.case()
    expect(total_open).to_have_text("1")
    unacknowledged = page.locator('#counters-body tr[data-agency="PWD-MAINT"] td[data-column="unacknowledged"]')
    expect(unacknowledged).to_have_text("1")
    assert case_requests == []


def test_staff_see_each_cases_agency_and_the_callers_number_as_written_in_taiwan(
    page: Page, factory: Factory, make_login
) -> None:
    open_console(page, make_login(Role.SUPERVISOR))
    tree = factory.case(reporter_phone="0912-345-678", reporter_name="王小明")
    flood = factory.case(category_code="road_flooding", reporter_phone="07-799-5678")
    header = page.locator("#awaiting thead th")
    expect(header).to_have_text(
        ["案號", "機關", "類別", "行政區", "地址", "分派時間", "確認期限", "陳情人電話", "處理"]
    )
    expect(_row(page, tree.case_no).locator('[data-column="agency"]')).to_have_text("工務局養護工程處")
    expect(_row(page, flood.case_no).locator('[data-column="agency"]')).to_have_text(re.compile("水利局"))
    expect(_row(page, tree.case_no).locator('[data-column="reporter_phone"]')).to_have_text("0912-345-678")
    expect(_row(page, flood.case_no).locator('[data-column="reporter_phone"]')).to_have_text("07-799-5678")
    assert "+886" not in page.locator("#awaiting").inner_text()


def test_a_responder_has_no_agency_column(page: Page, make_login) -> None:
    open_console(page, make_login())
    expect(page.locator("#awaiting thead th")).to_have_text(
        ["案號", "類別", "行政區", "地址", "分派時間", "確認期限", "陳情人電話", "處理"]
    )


def test_urgent_overdue_and_due_soon_cases_are_marked_in_words(page: Page, factory: Factory, make_login) -> None:
    page.clock.install()  # real time flows; the test may jump it forward
    open_console(page, make_login())
    now = utcnow()
    overdue = factory.case(now=now - timedelta(minutes=20), address="鳳山區光復路二段1號")  # 15 minutes to acknowledge
    due_soon = factory.case(now=now - timedelta(minutes=14, seconds=40), address="鳳山區光復路二段2號")
    fresh = factory.case(address="鳳山區光復路二段3號")
    petition = factory.case(category_code="sidewalk", description="人行道地磚鬆動")

    def flags(case) -> list[str]:
        return _row(page, case.case_no).locator(".flag").all_inner_texts()

    expect(_row(page, petition.case_no)).to_be_visible()
    expect(_row(page, overdue.case_no).locator('[data-column="ack_due_at"] .flag')).to_have_text("逾期")
    expect(_row(page, due_soon.case_no).locator('[data-column="ack_due_at"] .flag')).to_have_text("即將逾期")
    assert flags(overdue) == ["緊急", "逾期"]
    assert flags(fresh) == ["緊急"]
    assert flags(petition) == []
    # No event comes when a deadline passes unswept: the page looks at the clock every 30 seconds.
    page.clock.fast_forward("00:31")
    expect(_row(page, due_soon.case_no).locator('[data-column="ack_due_at"] .flag')).to_have_text("逾期")
    assert flags(fresh) == ["緊急"]

"""Acknowledging from the live page: the confirmation stays, focus goes somewhere sensible, and a
case someone else changed meanwhile is acknowledged anyway or explained, never a bare 409."""

from __future__ import annotations

from playwright.sync_api import Page, Route, expect

from tests.factories import Factory
from tests.web.conftest import open_console

LOG = "#event-log li"


def _row(page: Page, case_no: str):
    return page.locator(f'#awaiting-body tr[data-case-no="{case_no}"]')


def _acknowledge_calls(page: Page) -> list[int]:
    """Statuses of the page's acknowledge requests, as they come back."""
    statuses: list[int] = []
    page.on("response", lambda response: statuses.append(response.status) if "/acknowledge" in response.url else None)
    return statuses


def test_the_confirmation_stays_and_focus_moves_to_the_next_case_then_to_the_heading(
    page: Page, factory: Factory, make_login
) -> None:
    open_console(page, make_login())
    first = factory.case(address="鳳山區光復路二段1號")
    second = factory.case(address="鳳山區光復路二段2號")  # due a moment later: listed below the first
    expect(page.locator("#awaiting-body tr")).to_have_count(2)
    page.get_by_role("button", name=f"確認收案 {first.case_no}").focus()
    page.keyboard.press("Enter")

    status = page.locator("#awaiting-status")
    expect(status).to_have_text(f"已確認收案 {first.case_no}。")
    expect(page.locator(f'{LOG}[data-case-no="{first.case_no}"][data-type="case_acknowledged"]')).to_have_count(1)
    # A case dispatched after it: its row appears only through a reload of the list, so once it is there,
    # the pushed event and any reload it caused have come and gone.
    marker = factory.case(address="鳳山區光復路二段3號")
    expect(_row(page, marker.case_no)).to_be_visible()
    expect(status).to_have_text(f"已確認收案 {first.case_no}。")
    expect(_row(page, first.case_no)).to_have_count(0)
    expect(page.get_by_role("button", name=f"確認收案 {second.case_no}")).to_be_focused()

    page.keyboard.press("Enter")  # the focus is where the next case's button is: Enter again
    expect(status).to_have_text(f"已確認收案 {second.case_no}。")
    expect(page.locator(f'{LOG}[data-case-no="{second.case_no}"][data-type="case_acknowledged"]')).to_have_count(1)
    expect(page.get_by_role("button", name=f"確認收案 {marker.case_no}")).to_be_focused()
    page.keyboard.press("Enter")  # and the last one
    expect(status).to_have_text(f"已確認收案 {marker.case_no}。")
    expect(page.locator(f'{LOG}[data-case-no="{marker.case_no}"][data-type="case_acknowledged"]')).to_have_count(1)
    expect(page.get_by_role("heading", name="待確認收案")).to_be_focused()
    expect(page.locator("#awaiting-body")).to_have_text("目前沒有待確認收案的案件。")
    expect(status).to_have_text(f"已確認收案 {marker.case_no}。")


def test_a_note_added_elsewhere_does_not_make_the_acknowledgement_fail(
    page: Page, factory: Factory, make_login
) -> None:
    open_console(page, make_login())
    case = factory.case()
    expect(_row(page, case.case_no)).to_be_visible()
    noted = factory.agent.act(case.case_no, "note", case.version, text="民眾來電補充：樹壓到機車")
    assert noted.status_code == 200, noted.get_json()
    expect(page.locator(f'{LOG}[data-case-no="{case.case_no}"][data-type="note_added"]')).to_have_count(1)

    statuses = _acknowledge_calls(page)
    page.get_by_role("button", name=f"確認收案 {case.case_no}").click()
    expect(page.locator("#awaiting-status")).to_have_text(f"已確認收案 {case.case_no}。")
    assert statuses == [200], "the row had the case's new version from the pushed event"


def test_a_409_is_answered_by_fetching_the_case_and_trying_once_more(page: Page, factory: Factory, make_login) -> None:
    open_console(page, make_login())
    case = factory.case()
    expect(_row(page, case.case_no)).to_be_visible()
    noted = []

    def note_first(route: Route) -> None:
        # The note lands just before this click reaches the server, too late for the push to help.
        if not noted:
            noted.append(factory.agent.act(case.case_no, "note", case.version, text="補充").status_code)
        route.continue_()

    page.route("**/acknowledge", note_first)
    statuses = _acknowledge_calls(page)
    page.get_by_role("button", name=f"確認收案 {case.case_no}").click()
    expect(page.locator("#awaiting-status")).to_have_text(f"已確認收案 {case.case_no}。")
    assert noted == [200]
    assert statuses == [409, 200]
    expect(_row(page, case.case_no)).to_have_count(0)


def test_a_case_acknowledged_by_someone_else_meanwhile_is_explained_and_leaves_the_list(
    page: Page, factory: Factory, make_login
) -> None:
    open_console(page, make_login())
    case = factory.case()
    expect(_row(page, case.case_no)).to_be_visible()

    def colleague_first(route: Route) -> None:
        factory.agent.act(case.case_no, "acknowledge", case.version)
        route.continue_()

    page.route("**/acknowledge", colleague_first)
    statuses = _acknowledge_calls(page)
    page.get_by_role("button", name=f"確認收案 {case.case_no}").click()
    expect(page.locator("#awaiting-status")).to_have_text(
        f"案件 {case.case_no} 已被他人處理，目前狀態為「已確認收案」，已從清單移除。"
    )
    assert statuses == [409], "no second try at a case that no longer awaits acknowledgement"
    expect(_row(page, case.case_no)).to_have_count(0)


def test_a_pushed_event_updates_the_row_and_drops_a_case_acknowledged_elsewhere(
    page: Page, factory: Factory, make_login
) -> None:
    open_console(page, make_login())
    case = factory.case()
    expect(_row(page, case.case_no)).to_be_visible()
    list_requests: list[str] = []
    page.on("request", lambda request: list_requests.append(request.url) if "/api/v1/cases?" in request.url else None)
    assert factory.agent.act(case.case_no, "acknowledge", case.version).status_code == 200
    expect(_row(page, case.case_no)).to_have_count(0)
    # A note on it afterwards: once the page has shown it, the acknowledgement's event was long handled.
    assert factory.agent.act(case.case_no, "note", case.version + 1, text="已通知").status_code == 200
    expect(page.locator(f'{LOG}[data-case-no="{case.case_no}"][data-type="note_added"]')).to_have_count(1)
    assert list_requests == [], "the row left in place, without fetching the list again"

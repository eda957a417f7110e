"""The surge page (颱風): twenty reports on one road are one cluster, merged into one parent in one action with
one confirmation, each case with its own event; agents see the page without its actions; no serious axe
findings in either language."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from app.db import db
from app.models import Case, CaseEvent
from app.vocabulary import CaseStatus, Role
from tests.factories import Factory
from tests.web.conftest import log_in, serious_violations


def _typhoon(factory: Factory, count: int = 20) -> list[Case]:
    return [factory.case(address=f"鳳山區中山東路{n}號", description="颱風路樹倒塌") for n in range(1, count + 1)]


def test_a_typhoon_cluster_of_twenty_reports_is_merged_in_one_action(page: Page, factory: Factory, make_login) -> None:
    cases = _typhoon(factory)
    factory.case(address="鳳山區光復路二段132號")  # elsewhere: not in the cluster
    log_in(page, make_login(Role.SUPERVISOR, None))
    page.goto("/console/surge")
    cluster = page.locator("ol.surge-clusters > li").first
    expect(cluster.get_by_role("heading")).to_contain_text("同道路 中山東路")
    expect(cluster.get_by_role("heading")).to_contain_text("20 件")
    cluster.get_by_label("主案").select_option(cases[0].case_no)
    cluster.get_by_role("button", name="併成一案（20 件）…").click()
    expect(page.locator("#confirm-what")).to_have_text(f"將 19 件案件併入 {cases[0].case_no}，每件各自併案並記錄。")
    page.get_by_role("button", name="確認執行").click()
    expect(page.locator("#results-summary")).to_have_text("「併案」：完成 19 件，未處理 0 件。")
    expect(page.locator('#results tr[data-done="yes"]')).to_have_count(19)

    db.session.rollback()
    statuses = db.session.execute(select(Case.case_no, Case.status).where(Case.id.in_([c.id for c in cases]))).all()
    assert {no: status for no, status in statuses} == {
        c.case_no: CaseStatus.ASSIGNED if c is cases[0] else CaseStatus.MERGED for c in cases
    }
    merged_events = db.session.scalar(
        select(func.count()).select_from(CaseEvent).where(CaseEvent.event_type == "case_merged")
    )
    received = db.session.scalar(
        select(func.count())
        .select_from(CaseEvent)
        .where(CaseEvent.event_type == "case_merge_received", CaseEvent.case_id == cases[0].id)
    )
    assert merged_events == 19 and received == 19  # every case its own event
    # The cluster is gone from the page: one open case on that road is left.
    page.goto("/console/surge")
    expect(page.locator("ol.surge-clusters")).to_have_count(0)


def test_a_bulk_action_needs_its_text_and_ticked_cases(page: Page, factory: Factory, make_login) -> None:
    first, _ = _typhoon(factory, 2)
    log_in(page, make_login(Role.SUPERVISOR, None))
    page.goto("/console/surge")
    page.get_by_label(f"選取 {first.case_no}").check()
    page.get_by_label("動作").select_option("close")
    with page.expect_response(lambda response: response.url.endswith("/console/surge/bulk")) as answer:
        page.get_by_role("button", name="處理勾選案件…").click()
    assert answer.value.status == 422
    expect(page.get_by_role("alert")).to_contain_text("結案需要說明")
    db.session.rollback()
    assert db.session.get(Case, first.id).status is CaseStatus.ASSIGNED  # type: ignore[union-attr]


def test_an_agent_sees_the_surge_without_its_actions(page: Page, factory: Factory, make_login) -> None:
    _typhoon(factory, 3)
    log_in(page, make_login(Role.AGENT, None))
    page.goto("/console/surge")
    expect(page.locator("ol.surge-clusters > li")).to_have_count(1)
    expect(page.locator("form[action='/console/surge/bulk']")).to_have_count(0)
    expect(page.locator("input[type=checkbox]")).to_have_count(0)


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_the_surge_page_has_no_serious_accessibility_violations(
    page: Page, factory: Factory, make_login, lang: str
) -> None:
    _typhoon(factory, 4)
    factory.case(address="鳳山區光復路二段132號")
    factory.case(address="鳳山區光復路二段132號")
    log_in(page, make_login(Role.SUPERVISOR, None))
    for size in ({"width": 1280, "height": 800}, {"width": 1920, "height": 1080}):
        page.set_viewport_size(size)
        page.goto(f"/console/surge?lang={lang}")
        expect(page.locator("ol.surge-clusters > li")).to_have_count(2)
        assert serious_violations(page) == []
    page.locator("ol.surge-clusters button").first.click()
    assert serious_violations(page) == []

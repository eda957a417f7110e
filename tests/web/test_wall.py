"""The supervisors' wall: a breach re-routed stays on the first agency's record and the new agency's own
round shows apart; a dead agency alert asks for a call by hand; no serious axe findings in either language."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from app.cases import actions
from app.cases.sweep import sweep
from app.db import db
from app.models import Case, Notification
from app.vocabulary import NotificationKind, NotificationStatus, Role
from tests.factories import Factory
from tests.web.conftest import log_in, serious_violations

TZ = ZoneInfo("Asia/Taipei")
NIGHT = datetime(2025, 3, 3, 23, 50, tzinfo=TZ)


def _breached_then_moved(factory: Factory) -> Case:
    case = factory.case(now=NIGHT)
    sweep(db.session, now=NIGHT + timedelta(hours=1))
    db.session.expire_all()
    current = db.session.get(Case, case.id)
    assert current is not None
    return actions.assign_case(
        session=db.session,
        actor=factory.user("supervisor").actor,
        case_no=case.case_no,
        version=current.version,
        agency_code="DO-FONGSHAN",
        now=NIGHT + timedelta(hours=1, minutes=5),
    )


def _open_wall(page: Page, make_login, lang: str = "zh-TW") -> None:
    log_in(page, make_login(Role.SUPERVISOR, None))
    page.goto(f"/console/wall?lang={lang}")
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected")


def test_a_reroute_keeps_the_breach_on_the_first_agencys_record(page: Page, factory: Factory, make_login) -> None:
    case = _breached_then_moved(factory)
    _open_wall(page, make_login)
    earlier = page.locator(f'section[data-list="breached_earlier"] tr[data-case-no="{case.case_no}"]')
    expect(earlier).to_contain_text("工務局養護工程處")  # the agency that breached
    expect(earlier).to_contain_text("已逾期")
    # The new agency's own round: its acknowledgement deadline (15 minutes from the move) has long passed
    # by today's clock, so the wall lists it as breached under the new agency too, once the sweep says so.
    sweep(db.session, now=NIGHT + timedelta(hours=2))
    page.reload()
    breached = page.locator(f'section[data-list="breached"] tr[data-case-no="{case.case_no}"]')
    expect(breached).to_contain_text("鳳山區公所")
    expect(earlier).to_have_count(1)


def test_a_dead_dispatch_alert_asks_for_a_call_by_hand(page: Page, factory: Factory, make_login) -> None:
    case = factory.case()
    # The sender gave up on the dispatch SMS (out of attempts): marked as it would mark it.
    db.session.execute(
        update(Notification)
        .where(Notification.case_id == case.id, Notification.kind == NotificationKind.DISPATCH_SMS.value)
        .values(status=NotificationStatus.DEAD, last_error="unreachable")
    )
    db.session.commit()
    _open_wall(page, make_login)
    row = page.locator(f'section[data-list="dead_alerts"] tr[data-case-no="{case.case_no}"]')
    expect(row).to_have_count(2)  # one SMS per duty phone of the agency
    expect(row.first).to_contain_text("派工簡訊")
    unacknowledged = page.locator('section[data-list="unacknowledged"]')
    expect(unacknowledged).to_contain_text("工務局養護工程處")


def test_a_dispatch_appears_on_the_wall_without_reload(page: Page, factory: Factory, make_login) -> None:
    _open_wall(page, make_login)
    expect(page.get_by_role("heading", name="各機關未簽收派工（0）")).to_be_visible()
    factory.case()
    expect(page.get_by_role("heading", name="各機關未簽收派工（1）")).to_be_visible()


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_the_wall_has_no_serious_accessibility_violations(page: Page, factory: Factory, make_login, lang: str) -> None:
    _breached_then_moved(factory)
    factory.case()
    page.set_viewport_size({"width": 1280, "height": 800})
    _open_wall(page, make_login, lang)
    assert serious_violations(page) == []


def test_an_agency_responder_may_not_open_the_wall(page: Page, make_login) -> None:
    log_in(page, make_login(Role.AGENCY, "PWD-MAINT"))
    assert page.goto("/console/wall").status == 403

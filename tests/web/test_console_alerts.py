"""Urgent alerts in real Chromium: each kind in words a supervisor can act on, and the urgent cases
still waiting shown after a reconnect or a page reload, when their pushed alerts are long gone."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from playwright.sync_api import Page, expect

from app.alerting.escalation import climb
from app.alerting.outbox import report_dead
from app.cases.sweep import sweep
from app.db import db, utcnow, write_transaction
from app.models import Notification
from app.vocabulary import NotificationStatus, Role
from tests.factories import Factory
from tests.web.conftest import open_console, wait_until_pushed

ALERTS = "#alert-list li"


def _alert(page: Page, kind: str, case_no: str):
    return page.locator(f'{ALERTS}[data-kind="{kind}"][data-case-no="{case_no}"]')


def test_a_responder_sees_the_dispatch_alert_with_category_district_and_address(
    page: Page, factory: Factory, make_login
) -> None:
    open_console(page, make_login())
    case = factory.case()
    alert = _alert(page, "dispatch_alert", case.case_no)
    expect(alert).to_have_text(f"緊急派工 {case.case_no} 路樹傾倒，鳳山區 鳳山區光復路二段132號")
    expect(page.locator("#alert-announcer")).to_have_text(
        f"緊急派工：{case.case_no} 路樹傾倒，鳳山區 鳳山區光復路二段132號"
    )
    expect(page.locator("#alerts-empty")).to_be_hidden()


def test_a_supervisor_reads_what_each_escalation_means(page: Page, factory: Factory, make_login) -> None:
    open_console(page, make_login(Role.SUPERVISOR))
    # A tree down 40 minutes ago that nobody acknowledged: the SLA sweep escalates it, and the
    # alert ladder (its first call taken 15 minutes ago) now calls the agency's supervisors.
    late = factory.case(now=utcnow() - timedelta(minutes=40))
    sweep(db.session)
    climb(db.session, now=utcnow() - timedelta(minutes=15))
    climb(db.session)

    escalated = _alert(page, "sla_escalation_alert", late.case_no)
    expect(escalated).to_contain_text("逾期升級")
    expect(escalated).to_contain_text(
        re.compile(
            rf"【1999逾期】案件{late.case_no}（路樹傾倒，鳳山區）"
            r"應於\d\d/\d\d \d\d:\d\d前確認收到，已逾期，請督導處理。"
        )
    )
    ladder = _alert(page, "supervisors_alert", late.case_no)
    expect(ladder).to_have_text(
        f"仍未確認收案 {late.case_no} 路樹傾倒，鳳山區 鳳山區光復路二段132號（工務局養護工程處）："
        "第 2 步，已電話通知機關主管。"
    )

    with write_transaction(db.session):  # the outbox gave up on a call to the agency's duty phone
        failed = Notification(
            case_id=late.id,
            kind="duty_call",
            channel="voice",
            recipient="+88677995678",
            body="…",
            status=NotificationStatus.DEAD,
            last_error="no answer after 3 attempts",
        )
        db.session.add(failed)
        db.session.flush()
        report_dead(db.session, failed, utcnow())
    dead = _alert(page, "dead_alert", late.case_no)
    expect(dead).to_have_text(
        f"通知失敗，請以人工電話通知機關 {late.case_no} 路樹傾倒（工務局養護工程處）："
        "給 07-799-5678 的通知無法送達。原因：no answer after 3 attempts"
    )
    for kind in ("sla_escalation_alert", "supervisors_alert", "dead_alert"):
        expect(_alert(page, kind, late.case_no)).not_to_have_text(re.compile(rf"^通知 {late.case_no}$"))


def test_the_escalation_reads_in_english_on_the_english_page(page: Page, factory: Factory, make_login) -> None:
    open_console(page, make_login(Role.SUPERVISOR))
    page.goto("/console/live?lang=en")
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected")
    late = factory.case(now=utcnow() - timedelta(minutes=20))
    sweep(db.session)
    expect(_alert(page, "sla_escalation_alert", late.case_no)).to_have_text(
        re.compile(
            rf"^Overdue: escalated Case {late.case_no} \(Maintenance Engineering Office, Public Works Bureau\) "
            r"was to be acknowledged by \d\d/\d\d, \d\d:\d\d and is overdue: supervisors, please follow up\.$"
        )
    )


def test_urgent_cases_still_waiting_are_shown_after_a_reconnect_and_a_reload_until_acknowledged(
    app: Flask, page: Page, context, factory: Factory, make_login
) -> None:
    open_console(page, make_login())
    seen = factory.case(address="鳳山區光復路二段1號")
    expect(_alert(page, "dispatch_alert", seen.case_no)).to_have_count(1)
    context.set_offline(True)
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "offline")
    missed = factory.case(address="鳳山區光復路二段2號")
    petition = factory.case(category_code="sidewalk", description="人行道地磚鬆動")  # not urgent: no alert
    wait_until_pushed(app, petition.case_no)  # its dispatch alert was pushed meanwhile, to no one
    context.set_offline(False)
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected", timeout=10_000)

    expect(page.locator(f'{ALERTS}[data-case-no="{missed.case_no}"]')).to_have_count(1)
    expect(page.locator(f'{ALERTS}[data-case-no="{seen.case_no}"]')).to_have_count(1)  # not shown twice
    expect(page.locator(f'#awaiting-body tr[data-case-no="{petition.case_no}"]')).to_be_visible()
    expect(page.locator(f'{ALERTS}[data-case-no="{petition.case_no}"]')).to_have_count(0)

    page.reload()  # pushed alerts are not replayed: what is shown now comes from the case list
    expect(page.locator("#connection-state")).to_have_attribute("data-state", "connected")
    for case in (seen, missed):
        expect(_alert(page, "outstanding", case.case_no)).to_have_text(
            re.compile(
                rf"^緊急案件待確認收案 {case.case_no} 路樹傾倒，鳳山區 鳳山區光復路二段\d號（工務局養護工程處）$"
            )
        )
    expect(page.locator("#alert-announcer")).to_have_text("有 2 件緊急案件尚未確認收案。")

    assert factory.agent.act(missed.case_no, "acknowledge", missed.version).status_code == 200
    expect(page.locator(f'{ALERTS}[data-case-no="{missed.case_no}"]')).to_have_count(0)
    expect(page.locator(f'{ALERTS}[data-case-no="{seen.case_no}"]')).to_have_count(1)
    page.get_by_role("button", name=f"確認收案 {seen.case_no}").click()
    expect(page.locator(ALERTS)).to_have_count(0)
    expect(page.locator("#alerts-empty")).to_be_visible()

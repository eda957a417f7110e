"""Alerts raised by the live feed, with real python-socketio clients: after their event, once, to
the right rooms only, and never in a replay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from app.alerting.escalation import climb
from app.alerting.outbox import report_dead
from app.cases.sweep import sweep
from app.db import db, utcnow, write_transaction
from app.models import Notification
from app.vocabulary import NotificationStatus
from tests.factories import Factory
from tests.realtime.conftest import LiveClient, commit_marker

Connect = Callable[..., LiveClient]


def test_a_dispatch_alert_follows_its_event_and_carries_its_id(factory: Factory, connect: Connect) -> None:
    maint = connect(factory.user("agency", agency="PWD-MAINT").token)
    case = factory.case()
    alert = maint.wait_for("alert")[0]
    assigned = next(event for event in maint.events() if event["type"] == "case_assigned")
    assert alert["alert_id"] == assigned["id"]
    kinds = [(name, data.get("type", data.get("kind"))) for name, data in maint.messages if name in ("event", "alert")]
    assert kinds == [("event", "case_created"), ("event", "case_assigned"), ("alert", "dispatch_alert")]
    assert alert == {
        "event": "dispatched",
        "case_no": case.case_no,
        "category": "fallen_tree",
        "district": "fongshan",
        "agency": "PWD-MAINT",
        "address": case.address,
        "alert_id": assigned["id"],
        "kind": "dispatch_alert",
    }


def test_escalations_and_dead_alerts_reach_the_supervisors_once_and_no_one_else(
    factory: Factory, connect: Connect
) -> None:
    supervisor = connect(factory.user("supervisor").token)
    agent = connect(factory.user("agent").token)
    maint = connect(factory.user("agency", agency="PWD-MAINT").token)
    late = factory.case(now=utcnow() - timedelta(minutes=40))  # nobody acknowledged it
    sweep(db.session)  # its acknowledgement deadline passed: escalated
    climb(db.session, now=utcnow() - timedelta(minutes=15))  # the duty phones were called
    climb(db.session)  # and now the agency's supervisors
    with write_transaction(db.session):  # the outbox gave up on a call to the duty phone
        failed = Notification(
            case_id=late.id,
            kind="duty_call",
            channel="voice",
            recipient="+88677995678",
            body="…",
            status=NotificationStatus.DEAD,
            last_error="no answer",
        )
        db.session.add(failed)
        db.session.flush()
        report_dead(db.session, failed, utcnow())

    supervisor.wait_for("alert", count=3)
    marker = commit_marker(factory, supervisor, agent, maint)  # any duplicate would have come before it
    by_kind = {alert["kind"]: alert for alert in supervisor.of("alert")}
    assert sorted(alert["kind"] for alert in supervisor.of("alert")) == [
        "dead_alert",
        "sla_escalation_alert",
        "supervisors_alert",
    ]
    events = {event["type"]: event["id"] for event in supervisor.events() if event["case_no"] == late.case_no}
    assert by_kind["sla_escalation_alert"]["alert_id"] == events["sla_escalated"]
    assert by_kind["supervisors_alert"]["alert_id"] == events["alert_escalated"]  # the second step: the last one
    assert by_kind["supervisors_alert"]["step"] == 2
    assert by_kind["dead_alert"]["alert_id"] == events["alert_dead"]
    assert by_kind["dead_alert"]["recipient"] == "+88677995678" and by_kind["dead_alert"]["reason"] == "no answer"
    assert (
        by_kind["sla_escalation_alert"]["target"] == "ack" and late.case_no in by_kind["sla_escalation_alert"]["text"]
    )
    assert agent.of("alert") == []
    # Its own dispatch only (the marker is a dispatch of its agency too).
    assert [(alert["kind"], alert["case_no"]) for alert in maint.of("alert") if alert["case_no"] != marker] == [
        ("dispatch_alert", late.case_no)
    ]


def test_a_reconnecting_console_gets_the_events_it_missed_but_no_alert_replayed(
    factory: Factory, connect: Connect
) -> None:
    maint = connect(factory.user("agency", agency="PWD-MAINT").token)
    seen = factory.case()
    maint.wait_for("alert")
    last = maint.last_event_id
    maint.disconnect()
    missed = factory.case(description="又一棵樹倒了")
    maint.connect(last_event_id=last)
    assert {event["case_no"] for event in maint.events()} == {missed.case_no}  # replayed
    # Alerts are live news: the console derives the urgent cases still waiting from its case list. The first
    # alert after the reconnect is the next new case's: a replayed one would have come before it.
    fresh = factory.case(description="第三棵")
    assert [alert["case_no"] for alert in maint.wait_for("alert")] == [fresh.case_no]
    assert seen.case_no != fresh.case_no

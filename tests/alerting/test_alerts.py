"""Alerts at dispatch and the ladder: console alert and SMS at once, calls while nobody acknowledges, stop on ack."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from app.alerting.escalation import climb
from app.cases import actions
from app.db import db
from app.models import Agency, CaseEvent, Notification, SmsOptOut
from app.reference.cache import reference_cache
from app.vocabulary import NotificationStatus
from tests.factories import Factory, alerts_raised

TZ = ZoneInfo("Asia/Taipei")
NOON = datetime(2025, 3, 3, 12, 0, tzinfo=TZ)


def _outbox(case_id: int) -> list[tuple[str, str, str]]:
    rows = db.session.scalars(select(Notification).where(Notification.case_id == case_id).order_by(Notification.id))
    return [(row.kind, row.channel, row.recipient) for row in rows]


def test_a_dispatch_alerts_the_agency_by_socket_and_sms_at_once(factory: Factory) -> None:
    case = factory.case(now=NOON)
    duty = case.agency.duty_phones
    # The socket alert is no longer an outbox row: the live feed raises it from the case_assigned event.
    assert [(alert.message["kind"], alert.room) for alert in alerts_raised(case.id, TZ)] == [
        ("dispatch_alert", f"agency:{case.agency.code}")
    ]
    assert _outbox(case.id) == [("dispatch_sms", "sms", phone) for phone in duty]
    sms = db.session.scalar(select(Notification).where(Notification.kind == "dispatch_sms"))
    assert sms is not None and case.case_no in sms.body and "回覆 1" in sms.body
    assert case.next_alert_at == NOON + timedelta(minutes=10) and case.version == 1


@pytest.mark.mutates_reference
def test_a_landline_duty_phone_gets_no_sms_but_still_the_call(factory: Factory) -> None:
    db.session.execute(
        update(Agency).where(Agency.code == "PWD-MAINT").values(duty_phones=["+88673368333", "+886912000103"])
    )
    db.session.commit()
    reference_cache.clear()
    case = factory.case(now=NOON)
    assert [recipient for kind, _, recipient in _outbox(case.id) if kind == "dispatch_sms"] == ["+886912000103"]
    skipped = db.session.scalar(select(CaseEvent).where(CaseEvent.event_type == "alert_skipped"))
    assert skipped is not None and skipped.payload["phone"] == "+88673368333"
    climb(db.session, now=NOON + timedelta(minutes=10))
    calls = [recipient for kind, _, recipient in _outbox(case.id) if kind == "duty_call"]
    assert calls == ["+88673368333", "+886912000103"]


def test_the_ladder_climbs_until_someone_acknowledges_and_never_just_ends(factory: Factory) -> None:
    case = factory.case(now=NOON)
    assert climb(db.session, now=NOON + timedelta(minutes=9)) == {}
    assert climb(db.session, now=NOON + timedelta(minutes=10)) == {"call_duty": 1}
    assert climb(db.session, now=NOON + timedelta(minutes=20)) == {"call_supervisor": 1}
    assert climb(db.session, now=NOON + timedelta(minutes=30)) == {"call_supervisor": 1}
    steps = db.session.scalars(
        select(CaseEvent.payload).where(CaseEvent.case_id == case.id, CaseEvent.event_type == "alert_escalated")
    ).all()
    assert [(step["step"], step["rung"]) for step in steps] == [
        (1, "call_duty"),
        (2, "call_supervisor"),
        (3, "call_supervisor"),
    ]
    kinds = [kind for kind, _, _ in _outbox(case.id)]
    assert kinds.count("duty_call") == len(case.agency.duty_phones)
    assert kinds.count("supervisor_call") == 2 * len(case.agency.supervisor_phones)
    # The centre's supervisors are alerted at each supervisor step, by the live feed from its event.
    assert [alert.message["kind"] for alert in alerts_raised(case.id, TZ)] == [
        "dispatch_alert",
        "supervisors_alert",
        "supervisors_alert",
    ]


def test_acknowledging_at_any_step_stops_everything_after_it(factory: Factory) -> None:
    for acknowledged_after in (5, 15, 25):
        case = factory.case(now=NOON, description=f"倒樹 {acknowledged_after}")
        responder = factory.user("agency", agency=case.agency.code).actor
        for minutes in range(10, acknowledged_after, 10):
            climb(db.session, now=NOON + timedelta(minutes=minutes))
        # A call queued but not yet sent is cancelled with the acknowledgement; the ladder's steps
        # never change the case's version, so the responder's copy is still current.
        case = actions.acknowledge_case(
            session=db.session,
            actor=responder,
            case_no=case.case_no,
            version=case.version,
            now=NOON + timedelta(minutes=acknowledged_after),
        )
        assert case.next_alert_at is None
        before = _outbox(case.id)
        for minutes in range(acknowledged_after, 120, 5):
            climb(db.session, now=NOON + timedelta(minutes=minutes))
        assert _outbox(case.id) == before
        pending_calls = db.session.scalars(
            select(Notification).where(
                Notification.case_id == case.id,
                Notification.channel == "voice",
                Notification.status == NotificationStatus.PENDING,
            )
        ).all()
        assert pending_calls == []


def test_the_citizen_gets_the_case_number_and_the_outcome_unless_opted_out(factory: Factory) -> None:
    case = factory.case(now=NOON, reporter_phone="0912-345-678", wants_sms_reply=True)
    receipt = db.session.scalar(select(Notification).where(Notification.kind == "citizen_receipt"))
    assert receipt is not None and receipt.recipient == "+886912345678" and case.case_no in receipt.body
    responder = factory.user("agency", agency=case.agency.code).actor
    case = actions.report_back(
        session=db.session, actor=responder, case_no=case.case_no, version=case.version, text="已移除倒木", now=NOON
    )
    # The outcome goes out when the centre accepts the report (結案審核), not when the agency sends it.
    assert db.session.scalar(select(Notification).where(Notification.kind == "citizen_outcome")) is None
    actions.close_case(
        session=db.session, actor=factory.agent.actor, case_no=case.case_no, version=case.version, resolution="結案"
    )
    outcome = db.session.scalar(select(Notification).where(Notification.kind == "citizen_outcome"))
    assert outcome is not None and "已移除倒木" in outcome.body

    db.session.add(SmsOptOut(phone="+886912000999"))
    db.session.commit()
    quiet = factory.case(now=NOON, reporter_phone="0912-000-999", wants_sms_reply=True, description="又倒")
    assert "citizen_receipt" not in [kind for kind, _, _ in _outbox(quiet.id)]
    landline = factory.case(now=NOON, reporter_phone="07-336-8333", description="路樹")
    assert "citizen_receipt" not in [kind for kind, _, _ in _outbox(landline.id)]

"""Issue 11: every inbound Twilio webhook is idempotent on its SID, and the outcome is stored with it."""

from __future__ import annotations

from sqlalchemy import func, select

from app.alerting.escalation import climb
from app.db import db
from app.models import Case, CaseEvent, Notification, SmsOptOut
from app.request_state import WebhookReceipt
from app.vocabulary import CaseStatus
from tests.factories import Factory
from tests.telephony.conftest import Twilio

SID = "SM" + "a1" * 16


def _status(case: Case) -> CaseStatus:
    db.session.expire_all()
    fresh = db.session.get(Case, case.id)
    assert fresh is not None
    return fresh.status


def _events() -> int:
    return db.session.scalar(select(func.count()).select_from(CaseEvent)) or 0


def test_a_replayed_sms_reply_does_not_acknowledge_the_case_dispatched_since(factory: Factory, twilio: Twilio) -> None:
    first = factory.case(description="倒樹 A")
    duty = first.agency.duty_phones[0]
    answer = twilio.post("/telephony/sms/inbound", {"MessageSid": SID, "From": duty, "Body": "1"})
    assert "已確認收到案件" in answer.get_data(as_text=True) and first.case_no in answer.get_data(as_text=True)
    second = factory.case(description="倒樹 B")  # a new dispatch to the same duty phone
    events = _events()
    replay = twilio.post("/telephony/sms/inbound", {"MessageSid": SID, "From": duty, "Body": "1"})
    assert replay.status_code == 200 and replay.get_data() == answer.get_data()  # the first answer, again
    assert _status(second) is CaseStatus.ASSIGNED and _events() == events
    receipt = db.session.scalar(select(WebhookReceipt).where(WebhookReceipt.sid == SID))
    assert receipt is not None and receipt.completed_at is not None and first.case_no in (receipt.outcome or "")
    # A new message (another SID) is handled as usual.
    twilio.post("/telephony/sms/inbound", {"MessageSid": SID[:-1] + "b", "From": duty, "Body": "1"})
    assert _status(second) is CaseStatus.ACKNOWLEDGED


def test_a_replayed_stop_is_answered_the_same_and_changes_nothing(factory: Factory, twilio: Twilio) -> None:
    fields = {"MessageSid": SID, "From": "+886912345678", "Body": "STOP"}
    first = twilio.post("/telephony/sms/inbound", fields)
    twilio.post("/telephony/sms/inbound", {"MessageSid": SID + "x", "From": "+886912345678", "Body": "START"})
    again = twilio.post("/telephony/sms/inbound", fields)
    assert again.get_data() == first.get_data()
    assert db.session.get(SmsOptOut, "+886912345678") is None  # the START stands


def test_a_replayed_keypress_is_answered_from_its_receipt(factory: Factory, twilio: Twilio) -> None:
    case = factory.case()
    assert case.next_alert_at is not None
    climb(db.session, now=case.next_alert_at)
    call = db.session.scalar(select(Notification).where(Notification.kind == "duty_call"))
    assert call is not None
    path = f"/telephony/voice/{call.id}/keypress"
    done = twilio.post(path, {"Digits": "1", "CallSid": "CA9"})
    assert "已確認收到案件" in done.get_data(as_text=True)
    events = _events()
    again = twilio.post(path, {"Digits": "1", "CallSid": "CA9"})
    assert again.get_data() == done.get_data() and _events() == events


def test_a_status_callback_is_recorded_once_per_sid_and_status(factory: Factory, twilio: Twilio) -> None:
    fields = {"MessageSid": "SM" + "7" * 32, "MessageStatus": "delivered"}
    for _ in range(3):
        assert twilio.post("/telephony/status", fields).status_code == 200
    rows = db.session.scalars(select(WebhookReceipt).where(WebhookReceipt.kind == "status")).all()
    assert [(row.sid, row.status_code) for row in rows] == [("SM" + "7" * 32 + ":delivered", 200)]


def test_nul_in_a_webhook_body_is_refused_not_a_500(factory: Factory, twilio: Twilio) -> None:
    for path, fields in (
        ("/telephony/status", {"MessageSid": "SM\x00", "MessageStatus": "delivered"}),
        ("/telephony/sms/inbound", {"MessageSid": "SM1", "From": "+886912345678", "Body": "STOP\x00"}),
    ):
        response = twilio.post(path, fields)
        assert response.status_code == 422 and response.get_json()["error"]["code"] == "validation.failed"
    assert db.session.scalar(select(func.count()).select_from(WebhookReceipt)) == 0
    assert db.session.get(SmsOptOut, "+886912345678") is None

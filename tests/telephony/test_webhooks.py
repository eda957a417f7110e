"""Twilio webhooks with real signatures: acknowledging by SMS reply and by keypress, status callbacks, STOP."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.alerting.escalation import climb
from app.db import db
from app.models import Case, CaseEvent, Notification, SmsOptOut
from app.vocabulary import CaseStatus, NotificationStatus
from tests.factories import Factory
from tests.telephony.conftest import Twilio


def _reloaded(case: Case) -> Case:
    db.session.expire_all()
    fresh = db.session.get(Case, case.id)
    assert fresh is not None
    return fresh


def test_a_webhook_with_a_bad_or_missing_signature_is_refused_and_changes_nothing(
    factory: Factory, twilio: Twilio
) -> None:
    case = factory.case()
    duty = case.agency.duty_phones[0]
    for signature in ("", "forged"):
        response = twilio.post("/telephony/sms/inbound", {"From": duty, "Body": "1"}, signature=signature)
        assert response.status_code == 403
    assert _reloaded(case).status is CaseStatus.ASSIGNED


def test_a_duty_phone_acknowledges_by_replying_1(factory: Factory, twilio: Twilio) -> None:
    case = factory.case()
    duty = case.agency.duty_phones[0]
    response = twilio.post("/telephony/sms/inbound", {"From": duty, "Body": "1"})
    assert response.status_code == 200 and "已確認收到案件" in response.get_data(as_text=True)
    fresh = _reloaded(case)
    assert fresh.status is CaseStatus.ACKNOWLEDGED and fresh.next_alert_at is None
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.event_type == "case_acknowledged"))
    assert event is not None and event.payload["via"] == "sms" and event.payload["phone"] == duty


def test_with_several_open_cases_the_reply_must_name_one(factory: Factory, twilio: Twilio) -> None:
    first = factory.case(description="倒樹 A")
    second = factory.case(description="倒樹 B")
    duty = first.agency.duty_phones[0]
    ask = twilio.post("/telephony/sms/inbound", {"From": duty, "Body": "1"}).get_data(as_text=True)
    assert first.case_no in ask and second.case_no in ask and "收到 案件編號" in ask
    assert _reloaded(first).status is CaseStatus.ASSIGNED
    twilio.post("/telephony/sms/inbound", {"From": duty, "Body": f"收到 {second.case_no}"})
    assert _reloaded(second).status is CaseStatus.ACKNOWLEDGED
    assert _reloaded(first).status is CaseStatus.ASSIGNED


def test_an_unknown_number_or_a_foreign_case_gets_a_polite_answer_and_changes_nothing(
    factory: Factory, twilio: Twilio
) -> None:
    case = factory.case()
    stranger = twilio.post("/telephony/sms/inbound", {"From": "+886987654321", "Body": "1"})
    assert "不是登錄的機關值勤電話" in stranger.get_data(as_text=True)
    other_agency_duty = "+886912000101"  # a duty phone of another agency
    foreign = twilio.post("/telephony/sms/inbound", {"From": other_agency_duty, "Body": f"收到 {case.case_no}"})
    assert "未做任何變更" in foreign.get_data(as_text=True)
    assert _reloaded(case).status is CaseStatus.ASSIGNED


def test_pressing_1_on_the_alert_call_acknowledges_and_2_repeats(factory: Factory, twilio: Twilio) -> None:
    case = factory.case()
    first_call_at = case.next_alert_at
    assert first_call_at is not None
    climb(db.session, now=first_call_at)
    call = db.session.scalar(select(Notification).where(Notification.kind == "duty_call"))
    assert call is not None
    path = f"/telephony/voice/{call.id}/keypress"
    repeat = twilio.post(path, {"Digits": "2", "CallSid": "CA1"}).get_data(as_text=True)
    assert "<Gather" in repeat and case.category.name_zh in repeat
    wrong = twilio.post(path, {"Digits": "7", "CallSid": "CA1"}).get_data(as_text=True)
    assert "<Gather" in wrong and _reloaded(case).status is CaseStatus.ASSIGNED
    done = twilio.post(path, {"Digits": "1", "CallSid": "CA1"}).get_data(as_text=True)
    assert "已確認收到案件" in done
    assert _reloaded(case).status is CaseStatus.ACKNOWLEDGED
    # The ladder stopped: nothing more is queued for this case.
    assert climb(db.session, now=first_call_at + timedelta(days=1)) == {}


def test_status_callbacks_move_forward_only_and_unknown_sids_are_ignored(factory: Factory, twilio: Twilio) -> None:
    factory.case()
    row = db.session.scalar(select(Notification).where(Notification.kind == "dispatch_sms"))
    assert row is not None
    row.status, row.provider_id, row.provider_status = NotificationStatus.SENT, "SM" + "1" * 32, "queued"
    db.session.commit()
    for status in ("sent", "delivered", "sent"):
        assert (
            twilio.post("/telephony/status", {"MessageSid": row.provider_id, "MessageStatus": status}).status_code
            == 200
        )
    db.session.refresh(row)
    assert row.status is NotificationStatus.DELIVERED and row.provider_status == "delivered"
    unknown = twilio.post("/telephony/status", {"MessageSid": "SM" + "9" * 32, "MessageStatus": "delivered"})
    assert unknown.status_code == 200


def test_an_undelivered_sms_to_a_landline_is_dead_and_supervisors_are_told(factory: Factory, twilio: Twilio) -> None:
    factory.case()
    row = db.session.scalar(select(Notification).where(Notification.kind == "dispatch_sms"))
    assert row is not None
    row.status, row.provider_id, row.provider_status = NotificationStatus.SENT, "SM" + "2" * 32, "sent"
    db.session.commit()
    fields = {"MessageSid": row.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30006"}
    twilio.post("/telephony/status", fields)
    db.session.refresh(row)
    assert row.status is NotificationStatus.DEAD and "30006" in (row.last_error or "")
    assert db.session.scalar(select(CaseEvent).where(CaseEvent.event_type == "alert_dead")) is not None


def test_stop_opts_a_citizen_out_and_start_back_in(factory: Factory, twilio: Twilio) -> None:
    twilio.post("/telephony/sms/inbound", {"From": "+886912345678", "Body": "STOP"})
    assert db.session.get(SmsOptOut, "+886912345678") is not None
    case = factory.case(reporter_phone="0912-345-678", wants_sms_reply=True)
    kinds = db.session.scalars(select(Notification.kind).where(Notification.case_id == case.id)).all()
    assert "citizen_receipt" not in kinds
    twilio.post("/telephony/sms/inbound", {"From": "+886912345678", "Body": "START"})
    db.session.expire_all()
    assert db.session.get(SmsOptOut, "+886912345678") is None


def test_replies_as_people_type_them_are_understood(factory: Factory, twilio: Twilio) -> None:
    for reply in ("１", "收到 1", "1 收到", "1。"):
        case = factory.case(description=f"倒樹 {reply}")
        duty = case.agency.duty_phones[0]
        answer = twilio.post("/telephony/sms/inbound", {"From": duty, "Body": reply}).get_data(as_text=True)
        assert "已確認收到案件" in answer, reply
    case = factory.case(description="倒樹 全形")
    full_width = case.case_no.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    twilio.post("/telephony/sms/inbound", {"From": case.agency.duty_phones[0], "Body": f"收到 {full_width}"})
    assert _reloaded(case).status is CaseStatus.ACKNOWLEDGED


def test_a_keypress_from_the_agency_the_case_was_taken_from_acknowledges_nothing(
    factory: Factory, twilio: Twilio
) -> None:
    from app.cases import actions

    case = factory.case()
    first_call_at = case.next_alert_at
    assert first_call_at is not None
    climb(db.session, now=first_call_at)
    old_call = db.session.scalar(select(Notification).where(Notification.kind == "duty_call"))
    assert old_call is not None
    supervisor = factory.user("supervisor").actor
    actions.assign_case(
        session=db.session, actor=supervisor, case_no=case.case_no, version=case.version, agency_code="DO-FONGSHAN"
    )
    answer = twilio.post(f"/telephony/voice/{old_call.id}/keypress", {"Digits": "1"}).get_data(as_text=True)
    assert "改由其他機關" in answer
    assert _reloaded(case).status is CaseStatus.ASSIGNED
    assert twilio.post("/telephony/voice/99999999999999999999/keypress", {"Digits": "1"}).status_code == 200

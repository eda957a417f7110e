"""The outbox sender against a fake Twilio through the real SDK: every alert delivered, none sent twice."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from app.alerting.escalation import climb
from app.alerting.outbox import CLAIM_TIMEOUT, claim, deliver, record, restamp, send_due
from app.cases import actions
from app.db import db
from app.models import CaseEvent, Notification
from app.vocabulary import NotificationStatus
from dispatch.channels.base import SendFailed
from dispatch.channels.twilio import TwilioChannel
from tests.factories import Factory, alerts_raised
from tests.fake_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, FakeTwilio

TZ = ZoneInfo("Asia/Taipei")
NOON = datetime(2025, 3, 3, 12, 0, tzinfo=TZ)
PUBLIC = "https://hotline.example.gov.tw"


@pytest.fixture
def channel(fake_twilio: FakeTwilio) -> TwilioChannel:
    return TwilioChannel(
        TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, "+15005550006", api_base_url=fake_twilio.base_url, timeout=0.5
    )


def _statuses() -> dict[str, int]:
    db.session.rollback()
    rows = db.session.execute(select(Notification.status, func.count()).group_by(Notification.status))
    return {status.value: count for status, count in rows}


def _drain(channel: TwilioChannel, start: datetime, *, minutes: int = 120) -> None:
    """Run the sender once a simulated minute, as the worker would, until nothing is left to send."""
    for minute in range(minutes):
        send_due(db.session, channel, public_base_url=PUBLIC, now=start + timedelta(minutes=minute))
        if set(_statuses()) <= {"sent", "dead", "cancelled"}:
            return


def test_a_dispatch_sms_is_sent_once_and_its_sid_kept(factory: Factory, fake_twilio: FakeTwilio, channel) -> None:
    case = factory.case(now=NOON)
    assert send_due(db.session, channel, public_base_url=PUBLIC, now=NOON) == {"sent": len(case.agency.duty_phones)}
    accepted = fake_twilio.accepted("sms")
    assert sorted(request.to for request in accepted) == sorted(case.agency.duty_phones)
    assert all(case.case_no in (request.body or "") for request in accepted)
    assert accepted[0].status_callback == f"{PUBLIC}/telephony/status"
    rows = db.session.scalars(select(Notification).where(Notification.kind == "dispatch_sms")).all()
    assert {row.provider_id for row in rows} == {request.sid for request in accepted}
    assert send_due(db.session, channel, public_base_url=PUBLIC, now=NOON + timedelta(minutes=1)) == {}


def test_the_ladder_call_speaks_the_case_in_mandarin_and_asks_for_a_key(
    factory: Factory, fake_twilio: FakeTwilio, channel
) -> None:
    case = factory.case(now=NOON)
    climb(db.session, now=NOON + timedelta(minutes=10))
    send_due(db.session, channel, public_base_url=PUBLIC, now=NOON + timedelta(minutes=10))
    call = fake_twilio.accepted("call")[0]
    twiml = call.twiml or ""
    assert '<Say language="zh-TW">' in twiml and case.category.name_zh in twiml and "請按 1" in twiml
    assert f'action="{PUBLIC}/telephony/voice/' in twiml and 'numDigits="1"' in twiml


def test_an_outage_of_500s_and_timeouts_loses_nothing_and_sends_nothing_twice(
    factory: Factory, fake_twilio: FakeTwilio, channel
) -> None:
    for number in range(10):
        factory.case(now=NOON, description=f"倒樹 {number}")
    expected = _statuses()["pending"]
    fake_twilio.fail_next(12, status=500)
    fake_twilio.timeout_next(3, seconds=1.0)
    _drain(channel, NOON)
    assert _statuses() == {"sent": expected}
    assert fake_twilio.duplicates() == {}
    assert len(fake_twilio.accepted()) == expected
    attempts = db.session.scalar(select(func.max(Notification.attempts)))
    assert attempts is not None and attempts > 1


def test_a_timeout_after_the_provider_accepted_is_not_sent_again(
    factory: Factory, fake_twilio: FakeTwilio, channel
) -> None:
    factory.case(now=NOON)
    # Twilio takes the first SMS but answers too late: the sender cannot know it went out.
    fake_twilio.timeout_next(1, seconds=1.0, accept=True)
    send_due(db.session, channel, public_base_url=PUBLIC, now=NOON)
    _drain(channel, NOON + timedelta(minutes=1))
    assert fake_twilio.duplicates() == {}, "a timed-out send that Twilio accepted went out again"


def test_a_permanent_refusal_is_dead_at_once_and_supervisors_are_told(
    factory: Factory, fake_twilio: FakeTwilio, channel
) -> None:
    case = factory.case(now=NOON)
    refused = case.agency.duty_phones[0]
    fake_twilio.refuse(refused, code=21614)
    send_due(db.session, channel, public_base_url=PUBLIC, now=NOON)
    dead = db.session.scalar(select(Notification).where(Notification.recipient == refused))
    assert dead is not None and dead.status is NotificationStatus.DEAD and "21614" in (dead.last_error or "")
    assert dead.attempts == 1
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.event_type == "alert_dead"))
    assert event is not None and event.payload["recipient"] == refused and "人工" in event.payload["advice"]
    # The supervisors' alert is no longer an outbox row: the live feed raises it from the alert_dead event.
    dead_alerts = [alert for alert in alerts_raised(case.id, TZ) if alert.message["kind"] == "dead_alert"]
    assert [(alert.room, alert.message["alert_id"]) for alert in dead_alerts] == [("supervisors", event.id)]


def test_a_sender_killed_mid_batch_is_picked_up_without_a_double_send(
    factory: Factory, fake_twilio: FakeTwilio, channel
) -> None:
    for number in range(4):
        factory.case(now=NOON, description=f"倒樹 {number}")
    # The dead sender claimed the batch and got three messages accepted before it died, without
    # recording any of them: the rows stay "sending".
    claimed = claim(db.session, now=NOON, limit=50)
    for item in claimed[:3]:
        deliver(channel, item, public_base_url=PUBLIC)
    assert _statuses() == {"sending": len(claimed)}
    # Before the claim times out, nobody touches them; after, a new sender finishes the job.
    assert send_due(db.session, channel, public_base_url=PUBLIC, now=NOON + CLAIM_TIMEOUT / 2) == {}
    send_due(db.session, channel, public_base_url=PUBLIC, now=NOON + CLAIM_TIMEOUT + timedelta(seconds=1))
    assert _statuses() == {"sent": len(claimed)}
    assert fake_twilio.duplicates() == {}
    assert len(fake_twilio.accepted("sms")) == len(claimed)


def test_two_senders_share_the_outbox_without_a_double_send(
    app: Flask, factory: Factory, fake_twilio: FakeTwilio, channel
) -> None:
    for number in range(30):
        factory.case(now=NOON, description=f"倒樹 {number}")
    total = _statuses()["pending"]
    fake_twilio.failure_rate(0.2, seed=7)
    # Both senders read one clock: each simulated minute starts when both have finished the last.
    tick = threading.Barrier(2)

    def sender() -> None:
        with app.app_context():
            for minute in range(60):
                tick.wait()
                send_due(db.session, channel, public_base_url=PUBLIC, now=NOON + timedelta(minutes=minute), limit=5)
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert _statuses() == {"sent": total}
    assert fake_twilio.duplicates() == {}
    assert len(fake_twilio.accepted()) == total


def test_two_senders_sending_in_parallel_threads_send_every_sms_once(
    app: Flask, factory: Factory, fake_twilio: FakeTwilio, channel
) -> None:
    """As two workers do with HOTLINE_OUTBOX_THREADS: each claims a batch and sends it several at a time."""
    for number in range(25):
        factory.case(now=NOON, description=f"颱風倒樹 {number}")
    total = _statuses()["pending"]
    fake_twilio.failure_rate(0.2, seed=11)
    fake_twilio.latency = 0.02
    tick = threading.Barrier(2)

    def sender() -> None:
        with app.app_context():
            for minute in range(60):
                tick.wait()
                now = NOON + timedelta(minutes=minute)
                send_due(db.session, channel, public_base_url=PUBLIC, now=now, limit=20, threads=4)
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert _statuses() == {"sent": total}
    assert fake_twilio.duplicates() == {}
    assert len(fake_twilio.accepted()) == total


def test_a_slow_sender_whose_claim_was_taken_over_does_not_send_again(
    factory: Factory, fake_twilio: FakeTwilio, channel
) -> None:
    factory.case(now=NOON)
    stalled = claim(db.session, now=NOON, limit=50)
    # This sender stalls past the claim timeout; another one takes the rows over and sends them.
    send_due(db.session, channel, public_base_url=PUBLIC, now=NOON + CLAIM_TIMEOUT + timedelta(seconds=1))
    # When the first one wakes up, its claim is gone: it sends nothing.
    assert all(restamp(db.session, item, NOON + CLAIM_TIMEOUT * 2) is None for item in stalled)
    assert fake_twilio.duplicates() == {} and len(fake_twilio.accepted("sms")) == len(stalled)


def test_a_call_queued_when_the_case_is_acknowledged_is_never_placed(
    factory: Factory, fake_twilio: FakeTwilio, channel
) -> None:
    case = factory.case(now=NOON)
    send_due(db.session, channel, public_base_url=PUBLIC, now=NOON)
    climb(db.session, now=NOON + timedelta(minutes=10))
    calls = claim(db.session, now=NOON + timedelta(minutes=10), limit=50)  # a sender took the calls…
    responder = factory.user("agency", agency=case.agency.code).actor
    actions.acknowledge_case(
        session=db.session,
        actor=responder,
        case_no=case.case_no,
        version=case.version,
        now=NOON + timedelta(minutes=11),
    )
    # …and fails to place them; they must not be tried again after the acknowledgement.
    for item in calls:
        record(
            db.session, item, SendFailed("Twilio answered HTTP 500", permanent=False), now=NOON + timedelta(minutes=11)
        )
    _drain(channel, NOON + timedelta(minutes=12))
    assert fake_twilio.accepted("call") == []
    assert _statuses().get("cancelled", 0) == len(calls)


def test_claiming_a_bigger_batch_reads_no_more_rows_one_by_one(factory: Factory) -> None:
    """A claim decides every row (acknowledged? moved? STOP?) from a few reads, not a few per row: a typhoon's
    batch of 200 holds its row locks for as long as one of 10."""
    selects: list[str] = []

    def count(_conn, _cursor, statement: str, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    def selects_to_claim(cases: int, now: datetime) -> tuple[int, int]:
        for number in range(cases):
            factory.case(now=now, description=f"颱風倒樹 {number}")
        db.session.commit()
        selects.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            claimed = claim(db.session, now=now, limit=500)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(claimed), len(selects)

    few, reads_for_few = selects_to_claim(2, NOON)
    many, reads_for_many = selects_to_claim(10, NOON + timedelta(minutes=1))
    assert many > few > 0
    assert reads_for_many == reads_for_few

"""The outbox's retry policy, as the sender applies it: 15 s doubling to 15 minutes with a quarter's jitter,
8 attempts and then dead (with the supervisors told), and the sender's two safety nets: an unexpected
error from the provider's library is a failed attempt, and an outcome the database would not store is
finished later by asking the provider, never by sending again."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.alerting.outbox import BACKOFF_BASE, BACKOFF_CAP, CLAIM_TIMEOUT, MAX_ATTEMPTS, backoff, send_due
from app.db import db
from app.models import CaseEvent, Notification
from app.vocabulary import EventType, NotificationStatus
from dispatch.channels.base import Accepted
from dispatch.channels.twilio import TwilioChannel
from tests.db_faults import database_refuses
from tests.factories import Factory
from tests.fake_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, FakeTwilio

TZ = ZoneInfo("Asia/Taipei")
NOON = datetime(2025, 3, 3, 12, 0, tzinfo=TZ)
PUBLIC = "https://hotline.example.gov.tw"
# The wait after the n-th failure before jitter: 15 s, 30 s, 1 min, 2, 4, 8, then the 15-minute cap.
NOMINAL = [timedelta(seconds=s) for s in (15, 30, 60, 120, 240, 480, 900, 900, 900)]


@pytest.fixture
def channel(fake_twilio: FakeTwilio) -> TwilioChannel:
    return TwilioChannel(
        TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, "+15005550006", api_base_url=fake_twilio.base_url, timeout=0.5
    )


class _Pinned(random.Random):
    """A random source whose every draw lands at one point of the range: 0 its low end, 1 its high end."""

    def __init__(self, where: float) -> None:
        super().__init__(0)
        self.where = where

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.where


def _rows() -> list[Notification]:
    db.session.rollback()  # what the sender committed
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def test_the_schedule_doubles_from_15_seconds_to_the_15_minute_cap() -> None:
    assert (timedelta(seconds=15), timedelta(minutes=15), 8) == (BACKOFF_BASE, BACKOFF_CAP, MAX_ATTEMPTS)
    middle = _Pinned(0.5)
    assert [backoff(attempt, middle) for attempt in range(1, 10)] == NOMINAL
    assert [backoff(attempt, _Pinned(0.0)) for attempt in (1, 7)] == [timedelta(seconds=11.25), timedelta(seconds=675)]
    assert [backoff(attempt, _Pinned(1.0)) for attempt in (1, 7)] == [timedelta(seconds=18.75), timedelta(seconds=1125)]


def test_the_jitter_is_a_quarter_either_way_and_the_same_for_the_same_seed() -> None:
    def schedule(seed: int) -> list[timedelta]:
        rng = random.Random(seed)
        return [backoff(attempt, rng) for attempt in range(1, 10) for _ in range(20)]

    drawn = schedule(1999)
    assert drawn == schedule(1999) and drawn != schedule(2000)
    ratios = [delay / NOMINAL[index // 20] for index, delay in enumerate(drawn)]
    assert all(0.75 <= ratio <= 1.25 for ratio in ratios)
    # Spread over the whole range, so that senders failing together do not come back together.
    assert min(ratios) < 0.8 and max(ratios) > 1.2


def test_an_sms_that_keeps_failing_is_retried_on_the_schedule_then_dead_after_8_attempts(
    factory: Factory, fake_twilio: FakeTwilio, channel: TwilioChannel
) -> None:
    case = factory.case(now=NOON)  # a fallen tree: urgent, an SMS to each duty phone
    phones = sorted(case.agency.duty_phones)
    fake_twilio.fail_next(100, status=500)  # Twilio is down all afternoon
    now = NOON
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert send_due(db.session, channel, public_base_url=PUBLIC, now=now) == {
            ("failed" if attempt < MAX_ATTEMPTS else "dead"): len(phones)
        }
        rows = _rows()
        assert {row.attempts for row in rows} == {attempt}
        if attempt == MAX_ATTEMPTS:
            break
        assert {row.status for row in rows} == {NotificationStatus.FAILED}
        for row in rows:
            waited = row.next_attempt_at - now
            assert 0.75 * NOMINAL[attempt - 1] <= waited <= 1.25 * NOMINAL[attempt - 1], (attempt, waited)
        # Nothing is tried again before its time...
        earliest = min(row.next_attempt_at for row in rows)
        assert send_due(db.session, channel, public_base_url=PUBLIC, now=earliest - timedelta(seconds=1)) == {}
        # ...and every row is due again once the latest of them is.
        now = max(row.next_attempt_at for row in rows)

    assert {row.status for row in rows} == {NotificationStatus.DEAD}
    assert all("HTTP 500" in (row.last_error or "") for row in rows)
    sent_to = sorted(request.to for request in fake_twilio.requests)
    assert sent_to == sorted(phones * MAX_ATTEMPTS)
    dead = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.event_type == EventType.ALERT_DEAD)
    ).all()
    assert sorted(event.payload["recipient"] for event in dead) == phones
    # A dead message is never tried again, however long the sender keeps running.
    assert send_due(db.session, channel, public_base_url=PUBLIC, now=now + timedelta(days=1)) == {}
    assert len(fake_twilio.requests) == len(phones) * MAX_ATTEMPTS


class _BrokenLibrary:
    """A provider whose library fails in a way nobody foresaw (not a SendFailed)."""

    name = "broken"

    def send_sms(self, *, to: str, body: str, status_callback: str | None) -> Accepted:
        raise RuntimeError("'NoneType' object has no attribute 'sid'")

    def place_call(self, *, to: str, twiml: str, status_callback: str | None) -> Accepted:
        raise RuntimeError("'NoneType' object has no attribute 'sid'")


def test_an_unexpected_error_from_the_library_is_a_failed_attempt_retried_on_the_schedule(
    factory: Factory, fake_twilio: FakeTwilio, channel: TwilioChannel, caplog: pytest.LogCaptureFixture
) -> None:
    case = factory.case(now=NOON)
    phones = case.agency.duty_phones
    with caplog.at_level(logging.ERROR, logger="app.alerting.outbox"):
        assert send_due(db.session, _BrokenLibrary(), public_base_url=PUBLIC, now=NOON) == {"failed": len(phones)}
    assert "failed unexpectedly" in caplog.text and "no attribute 'sid'" in caplog.text
    rows = _rows()
    assert {row.status for row in rows} == {NotificationStatus.FAILED} and {row.attempts for row in rows} == {1}
    assert all((row.last_error or "").startswith("unexpected error: 'NoneType'") for row in rows)
    assert all(0.75 * NOMINAL[0] <= row.next_attempt_at - NOON <= 1.25 * NOMINAL[0] for row in rows)
    # The library is fixed (the worker restarted with a working channel): every SMS goes out, once.
    assert send_due(db.session, channel, public_base_url=PUBLIC, now=NOON + timedelta(minutes=1)) == {
        "sent": len(phones)
    }
    assert sorted(request.to for request in fake_twilio.accepted("sms")) == sorted(phones)


def test_an_outcome_the_database_refuses_is_finished_later_by_asking_twilio_not_by_sending_again(
    factory: Factory, fake_twilio: FakeTwilio, channel: TwilioChannel, caplog: pytest.LogCaptureFixture
) -> None:
    case = factory.case(now=NOON)
    phones = case.agency.duty_phones
    assert len(phones) >= 2, "the seeded agency has more than one duty phone"
    stuck = _rows()[0]
    refused = database_refuses("notifications", "UPDATE", f"NEW.id = {stuck.id} AND NEW.status = 'sent'")
    with refused, caplog.at_level(logging.ERROR, logger="app.alerting.outbox"):
        results = send_due(db.session, channel, public_base_url=PUBLIC, now=NOON)
    # The one row that could not be recorded kept none of the others from being recorded.
    assert results == {"sent": len(phones) - 1, "unrecorded": 1}
    assert f"could not record the outcome of notification {stuck.id}" in caplog.text
    statuses = {row.id: row.status for row in _rows()}
    assert statuses.pop(stuck.id) is NotificationStatus.SENDING
    assert set(statuses.values()) == {NotificationStatus.SENT}
    assert len(fake_twilio.accepted("sms")) == len(phones)  # Twilio did take it

    # Until its claim times out nobody touches it; then another pass asks Twilio and adopts its SID.
    assert send_due(db.session, channel, public_base_url=PUBLIC, now=NOON + CLAIM_TIMEOUT / 2) == {}
    later = NOON + CLAIM_TIMEOUT + timedelta(seconds=1)
    assert send_due(db.session, channel, public_base_url=PUBLIC, now=later) == {"sent": 1}
    row = next(row for row in _rows() if row.id == stuck.id)
    accepted = [request for request in fake_twilio.accepted("sms") if request.to == stuck.recipient]
    assert row.status is NotificationStatus.SENT and [row.provider_id] == [request.sid for request in accepted]
    assert fake_twilio.duplicates() == {} and len(fake_twilio.accepted("sms")) == len(phones)

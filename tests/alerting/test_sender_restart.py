"""A real worker process killed while Twilio is answering, and a new one started: every SMS once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from app.db import db
from app.models import Notification
from app.vocabulary import NotificationStatus
from tests.factories import Factory
from tests.fake_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, FakeTwilio

ROOT = Path(__file__).resolve().parents[2]


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


def _sms_statuses() -> dict[str, int]:
    db.session.rollback()
    rows = db.session.execute(
        select(Notification.status, func.count()).where(Notification.channel == "sms").group_by(Notification.status)
    )
    return {status.value: count for status, count in rows}


def test_a_sender_killed_mid_send_and_restarted_sends_every_sms_once(
    factory: Factory, fake_twilio: FakeTwilio, database_url: str, tmp_path: Path
) -> None:
    cases = [factory.case(description=f"倒樹 {number}") for number in range(3)]
    expected = sum(len(case.agency.duty_phones) for case in cases)
    # Twilio takes the first SMS but is slow to answer: the worker is killed in between.
    fake_twilio.timeout_next(1, seconds=5.0, accept=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HOTLINE_INSTANCE_DIR": str(tmp_path),
        "HOTLINE_ENV": "test",
        "SECRET_KEY": "test-secret",
        "TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_API_BASE_URL": fake_twilio.base_url,
        "HOTLINE_OUTBOX_CLAIM_SECONDS": "2",
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--interval", "0.5"]

    def start(name: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{name}.log").open("w")
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603

    first = start("first")
    try:
        _wait_for(lambda: len(fake_twilio.requests) >= 1, 30, "the first SMS to reach Twilio")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert _sms_statuses().get("sending", 0) >= 1, "the killed sender left its batch claimed"

    second = start("second")
    try:
        _wait_for(lambda: _sms_statuses() == {NotificationStatus.SENT.value: expected}, 60, "every SMS sent")
    finally:
        second.terminate()
        second.wait(timeout=10)
    assert fake_twilio.duplicates() == {}
    assert len(fake_twilio.accepted("sms")) == expected

"""The per-process caches intake reads (calendar, duty rosters, tokens, opt-outs) never outlive a change:
at once in the process that made it, and in any other once it reads the generation number again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import create_app
from app.access import Actor
from app.cases.calendar import set_override
from app.db import db
from app.models import ApiToken, Notification, SmsOptOut
from app.realtime.connections import EXTENSION as REALTIME
from app.reference import rosters
from app.reference.freshness import CHECK_EVERY, process_cache
from app.users.service import revoke_tokens
from app.vocabulary import Role
from config.settings import Settings
from tests.conftest import ManualClock
from tests.factories import Factory

TZ = ZoneInfo("Asia/Taipei")
ADMIN = Actor(user_id=None, username="admin-test", role=Role.ADMIN)
TUESDAY = datetime(2024, 7, 23, 9, 0, tzinfo=TZ)  # a petition opened now is due on 07-31 at 09:00
TYPHOON_DAY = date(2024, 7, 24)
WEDNESDAY_10 = datetime(2025, 3, 5, 10, 0, tzinfo=TZ)


@pytest.fixture
def cache_clock(app: Flask) -> ManualClock:
    """The cache's sense of time, the test's to move: when it reads the generation number again."""
    clock = ManualClock()
    process_cache().clock = clock
    return clock


@contextmanager
def another_process(database_url: str, tmp_path: Path) -> Iterator[None]:
    """A second app on the same database, with its own engine and cache: what another web process is."""
    settings = Settings(
        env="test", database_url=database_url, secret_key="test-secret", timezone=TZ, instance_dir=tmp_path
    )
    other = create_app(settings, TESTING=True)
    with other.app_context():
        try:
            yield
        finally:
            other.extensions[REALTIME].stop()
            db.session.remove()
            db.engine.dispose()


def _petition_due(factory: Factory) -> datetime:
    case = factory.case(now=TUESDAY, category_code="noise", description="夜間施工噪音")
    assert case.report_due_at is not None
    return case.report_due_at.astimezone(TZ)


def test_a_typhoon_day_declared_here_is_felt_by_the_next_intake_at_once(
    factory: Factory, cache_clock: ManualClock
) -> None:
    assert _petition_due(factory) == datetime(2024, 7, 31, 9, 0, tzinfo=TZ)  # the calendar is now cached
    set_override(session=db.session, actor=ADMIN, day=TYPHOON_DAY, working=False, reason="凱米颱風停班", now=TUESDAY)
    assert _petition_due(factory) == datetime(2024, 8, 1, 9, 0, tzinfo=TZ)


def test_a_typhoon_day_declared_by_another_process_is_felt_once_the_generation_is_read_again(
    factory: Factory, cache_clock: ManualClock, database_url: str, tmp_path: Path
) -> None:
    assert _petition_due(factory) == datetime(2024, 7, 31, 9, 0, tzinfo=TZ)
    with another_process(database_url, tmp_path):
        set_override(session=db.session, actor=ADMIN, day=TYPHOON_DAY, working=False, reason="颱風", now=TUESDAY)
    cache_clock.advance(CHECK_EVERY)
    assert _petition_due(factory) == datetime(2024, 8, 1, 9, 0, tzinfo=TZ)


def test_a_roster_changed_by_another_process_is_texted_once_the_generation_is_read_again(
    factory: Factory, cache_clock: ManualClock, database_url: str, tmp_path: Path
) -> None:
    before = factory.case(now=WEDNESDAY_10)  # PWD-MAINT's duty phones, no roster: now cached
    assert before.agency is not None and before.agency.code == "PWD-MAINT"
    with another_process(database_url, tmp_path):
        rosters.add_shift(
            session=db.session,
            actor=ADMIN,
            agency_code="PWD-MAINT",
            name="陳日班",
            phone="0912-555-001",
            days=["mon", "tue", "wed", "thu", "fri"],
            start=time(8),
            end=time(18),
        )
    cache_clock.advance(CHECK_EVERY)
    after = factory.case(now=WEDNESDAY_10)
    texted = db.session.scalars(
        select(Notification.recipient).where(Notification.case_id == after.id, Notification.kind == "dispatch_sms")
    ).all()
    assert texted == ["+886912555001"]


def test_a_revoked_token_is_refused_at_once_here_and_after_the_next_read_elsewhere(
    factory: Factory, cache_clock: ManualClock, database_url: str, tmp_path: Path
) -> None:
    here, elsewhere = factory.user("agent"), factory.user("agent")
    for user in (here, elsewhere):
        assert user.get("/cases").status_code == 200  # each token now cached
    with another_process(database_url, tmp_path):
        revoke_tokens(session=db.session, username=elsewhere.actor.username)
    cache_clock.advance(CHECK_EVERY)
    db.session.rollback()  # the test's requests share one session: end its read, as each real request does
    assert elsewhere.get("/cases").status_code == 401
    assert here.get("/cases").status_code == 200  # cached again
    revoke_tokens(session=db.session, username=here.actor.username)
    assert here.get("/cases").status_code == 401
    assert factory.user("agent").get("/cases").status_code == 200  # a new token is not refused by the cache


def test_a_stop_received_by_another_process_stops_the_receipt_once_the_generation_is_read_again(
    factory: Factory, cache_clock: ManualClock, database_url: str, tmp_path: Path
) -> None:
    phone = "+886912345678"
    reporter = {"reporter_phone": "0912-345-678", "wants_sms_reply": True}
    factory.case(**reporter)  # the opt-outs are now cached
    with another_process(database_url, tmp_path):
        db.session.add(SmsOptOut(phone=phone, opted_out_at=TUESDAY))
        db.session.commit()
    cache_clock.advance(CHECK_EVERY)
    case = factory.case(**reporter)
    receipts = db.session.scalars(
        select(Notification).where(Notification.case_id == case.id, Notification.kind == "citizen_receipt")
    ).all()
    assert receipts == []


def test_a_token_read_in_a_transaction_older_than_its_revocation_is_not_kept(
    factory: Factory, cache_clock: ManualClock, database_url: str, tmp_path: Path
) -> None:
    user = factory.user("agent")
    cache = process_cache()
    key = ("test-token-state", user.actor.user_id)

    def revoked(session: Session) -> Callable[[], str]:
        def load() -> str:
            stamp = session.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == user.actor.user_id))
            return "revoked" if stamp is not None else "live"

        return load

    db.session.commit()
    with Session(db.engine) as old_read:
        old_read.execute(select(ApiToken.id)).all()  # a request's read began here (on SQLite: its snapshot)
        with another_process(database_url, tmp_path):
            revoke_tokens(session=db.session, username=user.actor.username)
        cache_clock.advance(CHECK_EVERY)
        db.session.rollback()
        cache.get(db.session, "any", lambda: "x")  # another request reads the new generation meanwhile
        cache.get(old_read, key, revoked(old_read))  # the old request misses and loads what its snapshot holds
    db.session.rollback()
    assert cache.get(db.session, key, revoked(db.session)) == "revoked"

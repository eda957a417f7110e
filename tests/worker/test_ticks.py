"""The worker's ticks in this process: a tick that fails is logged and the next one does the work; a standby
sweeps nothing until the leader lets go; the in-process worker of `make run` runs them all."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app.db import db, utcnow
from app.models import CaseEvent, Notification
from app.vocabulary import EventType, NotificationStatus
from app.worker import build_worker
from app.worker.jobs import ladder_tick, send_tick
from app.worker.scheduler import SweepLeadership, leadership_engine, sweep_tick
from tests.db_faults import database_refuses
from tests.factories import Factory


def _keys(case_id: int) -> list[str]:
    db.session.rollback()  # what the tick committed
    keys = select(CaseEvent.sla_key).where(CaseEvent.case_id == case_id, CaseEvent.sla_key.isnot(None))
    rows = db.session.scalars(keys)
    return sorted(str(key) for key in rows)


def _outbox_statuses(case_id: int) -> set[NotificationStatus]:
    db.session.rollback()
    return set(db.session.scalars(select(Notification.status).where(Notification.case_id == case_id)))


@pytest.fixture
def leadership(app: Flask, tmp_path: Path) -> Iterator[Callable[[], SweepLeadership]]:
    """Leaderships of this process, as separate worker processes would hold them (one lock file, one lock key)."""
    made: list[SweepLeadership] = []

    def make() -> SweepLeadership:
        settings = app.config["HOTLINE_SETTINGS"]
        made.append(SweepLeadership(leadership_engine(settings.database_url), tmp_path / "sla-sweep.lock"))
        return made[-1]

    yield make
    for one in made:
        one.release()


def test_a_sweep_tick_that_fails_is_logged_and_the_next_tick_fires_the_milestones(
    app: Flask, factory: Factory, leadership: Callable[[], SweepLeadership], caplog: pytest.LogCaptureFixture
) -> None:
    case = factory.case(now=utcnow() - timedelta(minutes=20))
    leader = leadership()
    with (
        database_refuses("case_events", "INSERT", "NEW.sla_key IS NOT NULL"),
        caplog.at_level(logging.ERROR, logger="app.worker.scheduler"),
    ):
        sweep_tick(app, leader)  # does not raise: the scheduler would stop calling a job that did
    assert "SLA sweep failed; it will run again at the next tick" in caplog.text
    assert _keys(case.id) == []
    sweep_tick(app, leader)
    assert _keys(case.id) == ["1:ack:breached", "1:ack:escalated", "1:ack:warning1"]


def test_a_standby_sweeps_nothing_until_the_leader_lets_go(
    app: Flask, factory: Factory, leadership: Callable[[], SweepLeadership]
) -> None:
    leader, standby = leadership(), leadership()
    assert leader.acquire() and leader.held
    case = factory.case(now=utcnow() - timedelta(minutes=20))
    sweep_tick(app, standby)
    assert not standby.held and _keys(case.id) == []
    leader.release()  # the leader's process ended
    sweep_tick(app, standby)
    assert standby.held and len(_keys(case.id)) == 3


def test_a_send_tick_that_fails_is_logged_and_the_next_tick_sends(
    app: Flask, factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    case = factory.case()
    with (
        database_refuses("notifications", "UPDATE", "NEW.status = 'sending'"),
        caplog.at_level(logging.ERROR, logger="app.worker.jobs"),
    ):
        send_tick(app)
    assert "outbox sender failed; it will run again at the next tick" in caplog.text
    assert _outbox_statuses(case.id) == {NotificationStatus.PENDING}
    send_tick(app)  # the console channel (no Twilio configured) delivers at once
    assert _outbox_statuses(case.id) == {NotificationStatus.DELIVERED}


def test_a_ladder_tick_that_fails_is_logged_and_the_next_tick_takes_the_step(
    app: Flask, factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    case = factory.case(now=utcnow() - timedelta(minutes=11))  # its duty phones should have been called
    with (
        database_refuses("case_events", "INSERT", "NEW.sla_key LIKE '%:ladder:%'"),
        caplog.at_level(logging.ERROR, logger="app.worker.jobs"),
    ):
        ladder_tick(app)
    assert "alert ladder failed; it will run again at the next tick" in caplog.text
    assert _keys(case.id) == []
    ladder_tick(app)
    assert _keys(case.id) == ["1:ladder:1"]
    steps = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.event_type == EventType.ALERT_ESCALATED)
    ).all()
    assert [event.payload["rung"] for event in steps] == ["call_duty"]


def test_the_worker_in_background_threads_sweeps_climbs_and_sends(app: Flask, factory: Factory) -> None:
    case = factory.case(now=utcnow() - timedelta(minutes=20))
    scheduler, leadership = build_worker(app, interval=30, background=True)  # as `make run` starts it
    # Every job runs at once when started: the sweep fires the missed milestones, the ladder takes one step
    # now (after an outage it spaces the rest from now), and the sender delivers what both queued.
    wanted = ["1:ack:breached", "1:ack:escalated", "1:ack:warning1", "1:ladder:1"]
    scheduler.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
            _keys(case.id) == wanted and _outbox_statuses(case.id) == {NotificationStatus.DELIVERED}
        ):
            time.sleep(0.1)
    finally:
        scheduler.shutdown(wait=True)
        leadership.release()
    assert _keys(case.id) == wanted
    assert _outbox_statuses(case.id) == {NotificationStatus.DELIVERED}

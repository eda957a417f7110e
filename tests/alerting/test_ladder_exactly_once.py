"""Each ladder step once, and its calls queued once, whatever happens to the workers climbing it: a step
already recorded while the case still points at it, two workers at the same moment, one killed mid-transaction."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.alerting.escalation import climb
from app.db import db
from app.models import Case, CaseEvent, Notification
from app.vocabulary import EventType
from tests.concurrency import doomed_engine, doomed_updates_hang, kill_doomed, run_together, wait_until_doomed_hangs
from tests.conftest import POSTGRES
from tests.db_faults import database_refuses
from tests.factories import Factory

TZ = ZoneInfo("Asia/Taipei")
NOON = datetime(2025, 3, 3, 12, 0, tzinfo=TZ)
FIRST_STEP = NOON + timedelta(minutes=10)  # the default ladder: the duty phones are called after 10 minutes
needs_postgres = pytest.mark.skipif(
    not POSTGRES,
    reason="needs PostgreSQL: on SQLite BEGIN IMMEDIATE lets one writer in at a time, so workers never overlap "
    "(CI runs this suite on both)",
)


def _steps() -> Counter[tuple[int, str]]:
    db.session.rollback()  # what every worker committed
    rows = db.session.execute(
        select(CaseEvent.case_id, CaseEvent.sla_key).where(CaseEvent.event_type == EventType.ALERT_ESCALATED)
    )
    return Counter((case_id, str(key)) for case_id, key in rows)


def _calls() -> Counter[tuple[int | None, str]]:
    calls = select(Notification.case_id, Notification.recipient).where(Notification.channel == "voice")
    rows = db.session.execute(calls)
    return Counter((case_id, recipient) for case_id, recipient in rows)


def _dispatches(factory: Factory, count: int) -> list[Case]:
    return [factory.case(now=NOON, description=f"倒樹 {number}") for number in range(count)]


def _called_once(cases: list[Case]) -> Counter[tuple[int | None, str]]:
    return Counter({(case.id, phone): 1 for case in cases for phone in case.agency.duty_phones})


def test_a_step_failing_before_the_case_is_moved_on_leaves_no_call_and_the_retry_takes_it_once(
    factory: Factory,
) -> None:
    case = factory.case(now=NOON)
    with database_refuses("cases", "UPDATE", f"NEW.id = {case.id}"), pytest.raises(DBAPIError):
        climb(db.session, now=FIRST_STEP)
    assert _steps() == Counter() and _calls() == Counter()
    assert climb(db.session, now=FIRST_STEP + timedelta(seconds=5)) == {"call_duty": 1}
    assert climb(db.session, now=FIRST_STEP + timedelta(seconds=10)) == {}
    assert _steps() == {(case.id, "1:ladder:1"): 1} and _calls() == _called_once([case])


def test_a_step_already_recorded_while_the_case_still_points_at_it_places_no_second_call(factory: Factory) -> None:
    case = factory.case(now=NOON)
    assert climb(db.session, now=FIRST_STEP) == {"call_duty": 1}
    # As a lost update would leave it (a restore of the cases table, a write split in two): the step and its
    # calls are there, the case still says the step is due.
    db.session.execute(update(Case).where(Case.id == case.id).values(alert_step=0, next_alert_at=FIRST_STEP))
    db.session.commit()
    assert climb(db.session, now=FIRST_STEP + timedelta(minutes=1)) == {}
    assert _steps() == {(case.id, "1:ladder:1"): 1} and _calls() == _called_once([case])
    # The ladder goes on from there: the next step is the supervisors', once.
    db.session.expire_all()
    reloaded = db.session.get(Case, case.id)
    assert reloaded is not None and reloaded.alert_step == 1 and reloaded.next_alert_at is not None
    assert climb(db.session, now=reloaded.next_alert_at) == {"call_supervisor": 1}
    assert sorted(key for _, key in _steps()) == ["1:ladder:1", "1:ladder:2"]


@needs_postgres
def test_four_workers_climbing_together_take_each_step_once_and_queue_each_call_once(
    app: Flask, factory: Factory
) -> None:
    cases = _dispatches(factory, 40)

    def worker(session: Session) -> Counter[str]:
        return climb(session, now=FIRST_STEP, batch_size=3)

    taken = run_together(app, *[worker] * 4)
    assert sum((steps for steps in taken), Counter()) == {"call_duty": len(cases)}
    assert _steps() == Counter({(case.id, "1:ladder:1"): 1 for case in cases})
    assert _calls() == _called_once(cases)


@needs_postgres
def test_a_worker_killed_between_the_step_insert_and_the_case_update_loses_no_call_and_repeats_none(
    app: Flask, factory: Factory
) -> None:
    cases = _dispatches(factory, 4)
    failures: list[BaseException] = []

    engine = doomed_engine()

    def doomed() -> None:
        with app.app_context(), Session(bind=engine) as session:
            try:
                climb(session, now=FIRST_STEP, batch_size=2)  # its first batch: two cases, locked
            except DBAPIError as error:
                failures.append(error)

    with doomed_updates_hang("cases"):
        thread = threading.Thread(target=doomed)
        thread.start()
        wait_until_doomed_hangs(thread)  # its step and calls inserted, not committed, its two cases locked
        assert climb(db.session, now=FIRST_STEP) == {"call_duty": 2}  # another worker: the other two
        assert kill_doomed() >= 1
        thread.join(60)
    engine.dispose()
    assert not thread.is_alive() and len(failures) == 1
    assert len(_steps()) == 2
    assert climb(db.session, now=FIRST_STEP + timedelta(seconds=5)) == {"call_duty": 2}
    assert _steps() == Counter({(case.id, "1:ladder:1"): 1 for case in cases})
    assert _calls() == _called_once(cases)

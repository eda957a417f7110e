"""Each SLA milestone once, whatever happens to the sweepers: a sweep that fails half-way, a milestone already
recorded while the case still points at it, two sweepers at the same moment, one killed mid-transaction."""

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

from app.cases.sweep import SweepReport, sweep
from app.db import db
from app.models import Case, CaseEvent, Notification
from tests.concurrency import doomed_engine, doomed_updates_hang, kill_doomed, run_together, wait_until_doomed_hangs
from tests.conftest import POSTGRES
from tests.db_faults import database_refuses
from tests.factories import Factory

TZ = ZoneInfo("Asia/Taipei")
NIGHT = datetime(2025, 3, 3, 23, 50, tzinfo=TZ)
LATE = NIGHT + timedelta(minutes=20)  # past the acknowledgement warning, breach and escalation
ACK_KEYS = ["1:ack:warning1", "1:ack:breached", "1:ack:escalated"]
needs_postgres = pytest.mark.skipif(
    not POSTGRES,
    reason="needs PostgreSQL: on SQLite BEGIN IMMEDIATE lets one writer in at a time, so sweepers never overlap "
    "(CI runs this suite on both)",
)


def _milestones() -> Counter[tuple[int, str]]:
    db.session.rollback()  # what every sweeper committed
    rows = db.session.execute(select(CaseEvent.case_id, CaseEvent.sla_key).where(CaseEvent.sla_key.like("%:ack:%")))
    return Counter((case_id, str(key)) for case_id, key in rows)


def _escalation_sms(case_ids: list[int]) -> Counter[int]:
    rows = db.session.scalars(
        select(Notification.case_id).where(
            Notification.kind == "sla_escalation_sms", Notification.case_id.in_(case_ids)
        )
    )
    return Counter(case_id for case_id in rows if case_id is not None)


def _dispatches(factory: Factory, count: int) -> list[Case]:
    return [factory.case(now=NIGHT, description=f"倒樹 {number}") for number in range(count)]


def test_a_sweep_failing_between_the_milestones_and_the_case_update_leaves_nothing_and_the_retry_fires_once(
    factory: Factory,
) -> None:
    case = factory.case(now=NIGHT)
    due_before = case.next_sla_check_at
    with database_refuses("cases", "UPDATE", f"NEW.id = {case.id}"), pytest.raises(DBAPIError):
        sweep(db.session, now=LATE)
    # The milestones were written first, in the same transaction: they went with it.
    assert _milestones() == Counter()
    reloaded = db.session.get(Case, case.id)
    assert reloaded is not None and reloaded.next_sla_check_at == due_before and reloaded.sla_stage == "on_track"
    # The next tick fires everything, once; a tick after that, nothing.
    assert sweep(db.session, now=LATE).fired == {"warning": 1, "breached": 1, "escalated": 1}
    assert sweep(db.session, now=LATE + timedelta(seconds=30)).fired == {}
    assert _milestones() == Counter({(case.id, key): 1 for key in ACK_KEYS})
    assert _escalation_sms([case.id]) == {case.id: len(case.agency.supervisor_phones)}


def test_milestones_already_recorded_while_the_case_still_points_at_them_are_not_fired_again(
    factory: Factory,
) -> None:
    case = factory.case(now=NIGHT)
    due_before = case.next_sla_check_at
    sweep(db.session, now=LATE)
    # As a lost update would leave it (a restore of the cases table, a write split in two): the events are
    # there, the case still says they are due.
    db.session.execute(
        update(Case).where(Case.id == case.id).values(next_sla_check_at=due_before, sla_stage="on_track")
    )
    db.session.commit()
    assert sweep(db.session, now=LATE + timedelta(minutes=1)).fired == {}
    assert _milestones() == Counter({(case.id, key): 1 for key in ACK_KEYS})
    assert _escalation_sms([case.id]) == {case.id: len(case.agency.supervisor_phones)}
    db.session.expire_all()
    assert db.session.get(Case, case.id).sla_stage == "escalated"  # type: ignore[union-attr]


@needs_postgres
def test_four_sweepers_started_together_fire_each_milestone_once_and_check_each_case_once(
    app: Flask, factory: Factory
) -> None:
    cases = _dispatches(factory, 60)

    def sweeper(session: Session) -> SweepReport:
        return sweep(session, now=LATE, batch_size=4)

    reports = run_together(app, *[sweeper] * 4)
    # SKIP LOCKED shares the cases out: each was read by exactly one sweeper...
    assert sum(report.cases for report in reports) == len(cases)
    # ...and each milestone was written once, with one escalation SMS per supervisor phone.
    assert _milestones() == Counter({(case.id, key): 1 for case in cases for key in ACK_KEYS})
    assert sum(sum(report.fired.values()) for report in reports) == 3 * len(cases)
    phones = len(cases[0].agency.supervisor_phones)
    assert _escalation_sms([case.id for case in cases]) == {case.id: phones for case in cases}


@needs_postgres
def test_a_sweeper_killed_between_the_milestone_insert_and_the_case_update_loses_nothing_and_repeats_nothing(
    app: Flask, factory: Factory
) -> None:
    cases = _dispatches(factory, 6)
    failures: list[BaseException] = []

    engine = doomed_engine()

    def doomed() -> None:
        with app.app_context(), Session(bind=engine) as session:
            try:
                sweep(session, now=LATE, batch_size=3)  # its first batch: three cases, locked
            except DBAPIError as error:
                failures.append(error)

    with doomed_updates_hang("cases"):
        thread = threading.Thread(target=doomed)
        thread.start()
        wait_until_doomed_hangs(thread)  # its milestones inserted, not committed, its three cases locked
        # Meanwhile another worker sweeps: it skips the three locked cases and does the others.
        other = sweep(db.session, now=LATE)
        assert other.cases == 3 and sum(other.fired.values()) == 9
        assert kill_doomed() >= 1  # the doomed worker's process dies here
        thread.join(60)
    engine.dispose()
    assert not thread.is_alive() and len(failures) == 1
    # Its inserts died with it; the next tick does its three cases, and nothing twice.
    assert len(_milestones()) == 9
    retry = sweep(db.session, now=LATE + timedelta(seconds=30))
    assert retry.cases == 3 and sum(retry.fired.values()) == 9
    assert _milestones() == Counter({(case.id, key): 1 for case in cases for key in ACK_KEYS})
    phones = len(cases[0].agency.supervisor_phones)
    assert _escalation_sms([case.id for case in cases]) == {case.id: phones for case in cases}

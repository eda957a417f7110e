"""The feed pushes in id order even when ids commit out of order, and never loses a late commit."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, insert, select

from app.db import db, utcnow
from app.models import Case, CaseEvent
from app.realtime.connections import EXTENSION
from app.realtime.feed import EventFeed
from tests.factories import Factory


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _feed(app: Flask, pushed: list[tuple[str, Any, Any]], clock: ManualClock) -> EventFeed:
    live = app.extensions[EXTENSION]
    feed = EventFeed(
        engine=lambda: db.engine,
        emit=lambda event, data, to: pushed.append((event, data, to)),
        tz=live.feed.tz,
        poll_seconds=0.5,
        gap_hold=1.0,
        clock=clock,
    )
    feed.start(lambda run: None)  # polled by hand below, not by a thread
    return feed


def _commit_event(case: Case, event_id: int, note: str) -> None:
    """An event with an id chosen by the test: as PostgreSQL hands ids out at INSERT, not at COMMIT."""
    now = utcnow()
    db.session.execute(
        insert(CaseEvent).values(
            id=event_id,
            case_id=case.id,
            event_type="note_added",
            occurred_at=now,
            recorded_at=now,
            payload={"actor": "t", "role": "agent", "text": note},
            agency_id=case.agency_id,
        )
    )
    db.session.commit()


def _ids(pushed: list[tuple[str, Any, Any]]) -> list[int]:
    return list(dict.fromkeys(data["id"] for kind, data, _ in pushed if kind == "event"))


def test_a_later_id_committed_first_waits_for_the_earlier_one(app: Flask, factory: Factory) -> None:
    case = factory.case()
    pushed: list[tuple[str, Any, Any]] = []
    clock = ManualClock()
    feed = _feed(app, pushed, clock)
    start = feed.cursor
    _commit_event(case, start + 2, "second id, committed first")
    feed.poll()
    assert _ids(pushed) == []  # held: id start+1 may still be in flight
    clock.now += 0.3
    _commit_event(case, start + 1, "first id, committed second")
    feed.poll()
    assert _ids(pushed) == [start + 1, start + 2]


def test_a_gap_that_stays_open_is_stepped_over_and_a_late_commit_is_still_pushed(app: Flask, factory: Factory) -> None:
    case = factory.case()
    pushed: list[tuple[str, Any, Any]] = []
    clock = ManualClock()
    feed = _feed(app, pushed, clock)
    start = feed.cursor
    _commit_event(case, start + 2, "after a rolled-back or long transaction")
    feed.poll()
    clock.now += 1.1  # past the hold: a rollback, or a transaction still running
    feed.poll()
    assert _ids(pushed) == [start + 2]
    _commit_event(case, start + 1, "the long transaction commits at last")
    clock.now += 5
    feed.poll()
    late = [data for kind, data, _ in pushed if kind == "event" and data["id"] == start + 1]
    assert late and all(message["late"] for message in late)
    assert [event_id for event_id, _ in feed.late_log] == [start + 1]
    feed.poll()
    assert _ids(pushed) == [start + 2, start + 1]  # pushed once, not again


def test_each_event_goes_to_staff_in_full_and_to_its_agency_masked(app: Flask, factory: Factory) -> None:
    pushed: list[tuple[str, Any, Any]] = []
    feed = _feed(app, pushed, ManualClock())
    case = factory.case(reporter_phone="0912-345-678")
    feed.poll()
    created = [(data["case"]["reporter_phone"], to) for kind, data, to in pushed if data.get("type") == "case_created"]
    assert created == [("+886912345678", ["agents", "supervisors"]), ("0912***678", ["agency:PWD-MAINT"])]
    assert case.case_no in repr(pushed)


def test_ids_still_in_flight_when_the_feed_starts_are_watched(app: Flask, factory: Factory) -> None:
    case = factory.case()
    before = db.session.scalar(select(func.max(CaseEvent.id)))
    _commit_event(case, before + 2, "committed before the feed started; id before+1 still in flight")
    pushed: list[tuple[str, Any, Any]] = []
    feed = _feed(app, pushed, ManualClock())
    assert feed.cursor == before + 2
    _commit_event(case, before + 1, "the transaction in flight commits")
    feed.poll()
    assert [(data["id"], data.get("late")) for kind, data, _ in pushed if kind == "event"] == [
        (before + 1, True),
        (before + 1, True),
    ]  # to staff and to the agency, once each

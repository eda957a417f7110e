"""The audit trail cannot be rewritten; concurrent intake never shares a case number; no lost update."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from app.cases import actions
from app.db import db
from app.errors import Conflict
from app.models import CaseEvent
from tests.factories import Factory

CONCURRENT = 50


def test_events_cannot_be_updated_or_deleted(factory: Factory) -> None:
    case = factory.case()
    event_id = db.session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == case.id))
    db.session.commit()
    for statement in (
        "UPDATE case_events SET event_type = 'forged' WHERE id = :id",
        "DELETE FROM case_events WHERE id = :id",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text(statement), {"id": event_id})
        db.session.rollback()
    assert db.session.get(CaseEvent, event_id).event_type == "case_created"  # type: ignore[union-attr]


def test_fifty_concurrent_intakes_get_fifty_distinct_numbers(app: Flask, factory: Factory) -> None:
    agent = factory.agent.actor
    barrier = threading.Barrier(CONCURRENT)

    def intake(index: int) -> str:
        with app.app_context():
            barrier.wait()
            case = factory.case(actor=agent, description=f"路樹倒塌 第{index}棵")
            number = case.case_no
            db.session.remove()
            return number

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        numbers = list(pool.map(intake, range(CONCURRENT)))
    assert len(set(numbers)) == CONCURRENT
    assert sorted(int(number[-4:]) for number in numbers) == list(range(1, CONCURRENT + 1))


def test_two_editors_one_case_exactly_one_wins(app: Flask, factory: Factory) -> None:
    case = factory.case()
    agent, version = factory.agent.actor, case.version
    barrier = threading.Barrier(2)

    def note(text_: str) -> str:
        with app.app_context():
            barrier.wait()
            try:
                actions.add_note(session=db.session, actor=agent, case_no=case.case_no, version=version, text=text_)
                return "ok"
            except Conflict as refusal:
                return refusal.code
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(note, ["甲", "乙"]))
    assert outcomes == ["case.stale_version", "ok"]
    notes = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.event_type == "note_added")
    ).all()
    assert len(notes) == 1


def test_two_merges_in_opposite_directions_end_cleanly(app: Flask, factory: Factory) -> None:
    """A→B and B→A at once: one wins, the other is refused with 409; never a deadlock."""
    agent = factory.agent.actor
    for _ in range(5):
        first, second = factory.case(), factory.case()
        barrier = threading.Barrier(2)

        def merge(pair: tuple[str, str, int], barrier: threading.Barrier = barrier) -> str:
            source, target, version = pair
            with app.app_context():
                barrier.wait()
                try:
                    actions.merge_case(
                        session=db.session, actor=agent, case_no=source, version=version, into_case_no=target
                    )
                    return "ok"
                except Conflict as refusal:
                    return refusal.code
                finally:
                    db.session.remove()

        pairs = [(first.case_no, second.case_no, first.version), (second.case_no, first.case_no, second.version)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = sorted(pool.map(merge, pairs))
        assert outcomes[1] == "ok" and outcomes[0] in (
            "case.merge_target_closed",
            "case.stale_version",
            "case.illegal_transition",
        )

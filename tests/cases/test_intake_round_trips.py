"""What one intake says to the database, counted (issue 16: at most 7 round trips on PostgreSQL): the number,
the case, its grams, its events and its outbox rows, in one transaction; nothing read that a process can keep."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, Pool, event, select
from sqlalchemy.orm import Session

from app.cases import numbers
from app.db import db, utcnow
from app.models import Case, CaseEvent, Notification
from app.reference.freshness import process_cache
from tests.concurrency import run_together
from tests.conftest import POSTGRES, TZ, ManualClock
from tests.factories import DISPATCH, Factory


@dataclass
class Said:
    statements: list[str] = field(default_factory=list)
    transactions: list[str] = field(default_factory=list)  # of the app's engine (case numbers run in autocommit)


@pytest.fixture
def said(app: Flask) -> Iterator[Said]:
    said = Said()
    engine = db.engine

    def statement(_conn: Any, _cursor: Any, text: str, *_args: Any) -> None:
        if not text.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE, sent by app/db.py
            said.statements.append(text.split("(", 1)[0].strip())

    def ended(how: str) -> Any:
        return lambda conn: said.transactions.append(how) if conn.engine is engine else None

    commit, rollback = ended("commit"), ended("rollback")
    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "commit", commit)
    event.listen(Engine, "rollback", rollback)
    yield said
    event.remove(Engine, "before_cursor_execute", statement)
    event.remove(Engine, "commit", commit)
    event.remove(Engine, "rollback", rollback)


def test_an_intake_writes_its_rows_in_one_transaction_and_reads_nothing(
    factory: Factory, app: Flask, said: Said
) -> None:
    process_cache().clock = ManualClock()  # the generation is not due to be read again during the test
    body = {**DISPATCH, "reporter_name": "王小姐", "reporter_phone": "0912-345-678", "wants_sms_reply": True}
    factory.api_case(**body)  # the token, calendar, the agency's roster and the opt-outs are now cached
    said.statements.clear()
    said.transactions.clear()
    created = factory.api_case(**body)
    postgresql = db.engine.dialect.name == "postgresql"
    assert created["status"] == "assigned" and created["sla"] is not None
    # Each table once, in this order; on SQLite (no network to cross) a few rows may go one statement each.
    tables = [name for index, name in enumerate(said.statements) if index == 0 or said.statements[index - 1] != name]
    if postgresql:  # the grams, events and outbox rows in one statement: 3 statements + BEGIN + COMMIT = 5
        assert said.statements == ["INSERT INTO case_number_counters", "INSERT INTO cases", "WITH grams AS"]
    else:
        assert tables == [
            "INSERT INTO case_number_counters",
            "INSERT INTO cases",
            "INSERT INTO case_grams",
            "INSERT INTO case_events",  # case_created, case_assigned
            "INSERT INTO notifications",  # the dispatch SMS and the citizen's receipt
        ]
    assert said.transactions == ["commit"]
    case = db.session.scalar(select(Case).where(Case.case_no == created["case_no"]))
    assert case is not None
    events = db.session.scalars(select(CaseEvent.event_type).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
    assert list(events) == ["case_created", "case_assigned"]
    texts = db.session.scalars(select(Notification.kind).where(Notification.case_id == case.id))
    assert set(texts) == {"citizen_receipt", "dispatch_sms"}


@pytest.mark.skipif(not POSTGRES, reason="case numbers have a pool of their own on PostgreSQL only")
def test_intakes_taking_numbers_all_at_once_open_no_new_database_connection(app: Flask) -> None:
    """Every connection the numbers' pool opens it keeps: a connection opened and closed per number is a
    PostgreSQL backend started per intake (with 2 + 2 overflow, one intake in eight under 16 connections)."""
    now = utcnow()

    def take(session: Session) -> str:
        return numbers.next_case_no(session, now=now, tz=TZ)

    run_together(app, *[take] * 8)  # every pool has opened what it keeps
    opened: list[object] = []

    def note(*_: Any) -> None:
        opened.append(_)

    event.listen(Pool, "connect", note)
    try:
        taken = run_together(app, *[take] * 8) + run_together(app, *[take] * 8)
    finally:
        event.remove(Pool, "connect", note)
    assert len(set(taken)) == 16
    assert opened == []

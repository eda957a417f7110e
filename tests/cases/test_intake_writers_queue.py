"""On SQLite a process's intakes queue for the write transaction on a lock (app/db.py) rather than in SQLite's
busy-wait; whatever the intake's end, the next one finds the queue free."""

from __future__ import annotations

from app import db as app_db
from tests.factories import DISPATCH, Factory


def test_an_intake_refused_or_recorded_hands_the_queue_on(factory: Factory) -> None:
    refused = factory.agent.post("/cases", json={**DISPATCH, "category": "no-such-category"})
    assert refused.status_code in (400, 422)
    assert not app_db._SQLITE_WRITERS.locked()
    created = factory.api_case()
    assert created["status"] == "assigned"
    assert not app_db._SQLITE_WRITERS.locked()
    assert factory.agent.get(f"/cases/{created['case_no']}").status_code == 200

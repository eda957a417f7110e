"""Live pushes with the real python-socketio client against a running server."""

from __future__ import annotations

import time

import pytest
import socketio

from tests.factories import Factory
from tests.realtime.conftest import LiveClient


def test_a_responder_receives_their_agencys_dispatch_within_a_second_and_never_another_agencys(
    factory: Factory, connect
) -> None:
    maint = connect(factory.user("agency", agency="PWD-MAINT").token)
    other = connect(factory.user("agency", agency="DO-SANMIN").token)
    supervisor = connect(factory.user("supervisor").token)
    committed = time.monotonic()
    case = factory.case()  # a fallen tree goes to the parks and streetlights office (PWD-MAINT)
    maint.wait_events(lambda events: any(e["case_no"] == case.case_no for e in events), timeout=1.0)
    assert maint.received_at[maint.event_ids()[0]] - committed < 1.0
    supervisor.wait_events(lambda events: len(events) >= 2)
    assert [e["type"] for e in maint.events()][:2] == ["case_created", "case_assigned"]
    time.sleep(0.3)
    assert other.events() == []

"""Who may join which room, where an event goes, and the connect limiter: pure logic."""

from __future__ import annotations

from app.access import Actor
from app.realtime.audience import View, deliveries, rooms_for, view_for
from app.realtime.ratelimit import ConnectLimiter
from app.realtime.replay import parse_last_event_id
from app.vocabulary import Role


def test_each_role_gets_only_its_own_rooms() -> None:
    responder = Actor(user_id=7, username="lin", role=Role.AGENCY, agency_id=3)
    assert rooms_for(responder, "PWD-MAINT") == {"user:7", "agency:PWD-MAINT"}
    assert rooms_for(Actor(8, "a", Role.AGENT), None) == {"user:8", "agents"}
    assert rooms_for(Actor(9, "s", Role.SUPERVISOR), None) == {"user:9", "supervisors"}
    assert rooms_for(Actor(10, "m", Role.MAYOR_OFFICE), None) == {"user:10", "mayor_office"}
    assert rooms_for(Actor(11, "x", Role.AGENCY, agency_id=99), None) == {"user:11"}  # agency gone: nothing
    assert view_for(responder) is View.AGENCY and view_for(Actor(10, "m", Role.MAYOR_OFFICE)) is None


def test_an_event_goes_to_staff_in_full_and_masked_to_the_agency_it_is_with_and_the_one_it_left() -> None:
    moved = deliveries("DO-FONGSHAN", "PWD-MAINT")
    assert [(d.rooms, d.view) for d in moved] == [
        (("agents", "supervisors"), View.STAFF),
        (("agency:DO-FONGSHAN", "agency:PWD-MAINT"), View.AGENCY),
    ]
    assert [d.rooms for d in deliveries(None, None)] == [("agents", "supervisors")]  # in triage


def test_the_limiter_allows_a_burst_then_a_steady_rate_per_address() -> None:
    now = [0.0]
    limiter = ConnectLimiter(burst=3, per_second=2, clock=lambda: now[0])
    assert [limiter.allow("10.0.0.1") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("10.0.0.2")  # another console is not held back
    now[0] += 0.5
    assert limiter.allow("10.0.0.1") and not limiter.allow("10.0.0.1")


def test_only_a_non_negative_whole_number_is_a_last_event_id() -> None:
    assert [parse_last_event_id(value) for value in (0, 42, "42")] == [0, 42, 42]
    for junk in (None, -1, 1.0, True, "4 2", "٤٢", "", "1e3", [], {}, "9" * 20):
        assert parse_last_event_id(junk) is None

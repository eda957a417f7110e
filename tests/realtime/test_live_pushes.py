"""Live pushes with the real python-socketio client against a running server."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import socketio
from flask import Flask

from app.audit import record_event
from app.db import db, utcnow, write_transaction
from app.models import Case
from tests.factories import Factory
from tests.realtime.conftest import LiveClient, commit_marker

Connect = Callable[..., LiveClient]


def _has_case(case_no: str) -> Callable[[list[dict]], bool]:
    return lambda events: any(event["case_no"] == case_no for event in events)


def test_a_responder_gets_their_agencys_dispatch_and_never_another_agencys(factory: Factory, connect: Connect) -> None:
    # How fast it arrives is measured by `python -m bench push_latency`, not asserted here.
    maint = connect(factory.user("agency", agency="PWD-MAINT").token)
    fongshan = connect(factory.user("agency", agency="DO-FONGSHAN").token)
    supervisor = connect(factory.user("supervisor").token)

    tree = factory.case()  # a fallen tree: PWD-MAINT
    maint.wait_events(_has_case(tree.case_no))
    pothole = factory.case(category_code="pothole", district_code="fongshan")  # a district office's
    fongshan.wait_events(_has_case(pothole.case_no))
    supervisor.wait_events(lambda events: _has_case(tree.case_no)(events) and _has_case(pothole.case_no)(events))
    marker = commit_marker(factory, maint, supervisor)  # PWD-MAINT's, after the pothole
    other = commit_marker(factory, fongshan, category_code="pothole", district_code="fongshan")

    assert [event["type"] for event in maint.events() if event["case_no"] == tree.case_no] == [
        "case_created",
        "case_assigned",
    ]
    assert {event["case_no"] for event in maint.events()} == {tree.case_no, marker}
    assert {event["case_no"] for event in fongshan.events()} == {pothole.case_no, other}
    first = maint.events()[0]
    assert first["case"]["category"] == "fallen_tree" and first["case"]["agency"] == "PWD-MAINT"
    assert first["occurred_at"].endswith("+08:00")


def test_an_agency_never_receives_the_reporters_full_phone_number(factory: Factory, connect: Connect) -> None:
    maint = connect(factory.user("agency", agency="PWD-MAINT").token)
    agent = connect(factory.user("agent").token)
    case = factory.case(reporter_name="王小明", reporter_phone="0912-345-678")
    maint.wait_events(lambda events: len(events) >= 2)
    agent.wait_events(lambda events: len(events) >= 2)
    assert "+886912345678" not in repr(maint.messages) and "0912345678" not in repr(maint.messages)
    assert maint.events()[0]["case"]["reporter_phone"] == "0912***678"
    assert agent.events()[0]["case"]["reporter_phone"] == case.reporter_phone == "+886912345678"


def test_a_rolled_back_transaction_pushes_nothing(app: Flask, factory: Factory, connect: Connect) -> None:
    supervisor = connect(factory.user("supervisor").token)
    case = factory.case()
    supervisor.wait_events(lambda events: len(events) == 2)
    with pytest.raises(RuntimeError), write_transaction(db.session) as session:
        record_event(
            session,
            session.get(Case, case.id),
            "note_added",
            actor=factory.agent.actor,
            occurred_at=utcnow(),
            text="不該出現",
        )
        session.flush()  # the row and its id exist inside the transaction
        raise RuntimeError("the service failed after writing its event")
    later = factory.case(description="之後的案件")
    supervisor.wait_events(_has_case(later.case_no))
    assert "note_added" not in [event["type"] for event in supervisor.events()]
    assert "不該出現" not in repr(supervisor.messages)


def test_a_client_away_for_50_events_gets_all_of_them_in_order_then_live_ones_without_duplicates(
    factory: Factory, connect: Connect
) -> None:
    supervisor = connect(factory.user("supervisor").token)
    factory.case()
    supervisor.wait_events(lambda events: len(events) == 2)
    seen = supervisor.last_event_id
    supervisor.disconnect()

    missed = [factory.case(description=f"斷線期間 {n}") for n in range(25)]  # 2 events each: 50
    supervisor.connect(last_event_id=seen)
    replayed = supervisor.event_ids()
    assert len(replayed) == 50 and replayed == sorted(replayed) and min(replayed) > seen
    assert supervisor.of("ready")[0] == {
        "last_event_id": replayed[-1],
        "replayed": 50,
        "rooms": sorted(supervisor.of("ready")[0]["rooms"]),
    }
    assert [event["case_no"] for event in supervisor.events()[::2]] == [case.case_no for case in missed]

    live = factory.case(description="重新連線後")
    supervisor.wait_events(_has_case(live.case_no))
    commit_marker(factory, supervisor)  # anything pushed twice would have come before it
    ids = supervisor.event_ids()
    assert len(ids) == len(set(ids)) == 54 and ids == sorted(ids)


def test_an_agency_replays_only_its_own_events_and_learns_of_a_case_moved_away(
    factory: Factory, connect: Connect
) -> None:
    maint_user = factory.user("agency", agency="PWD-MAINT")
    maint = connect(maint_user.token)
    case = factory.case()
    maint.wait_events(lambda events: len(events) == 2)
    seen = maint.last_event_id
    maint.disconnect()
    factory.case(category_code="pothole", district_code="fongshan")  # DO-FONGSHAN's, not theirs
    _move(factory, case, "DO-FONGSHAN")
    maint.connect(last_event_id=seen)
    assert [event["type"] for event in maint.events()] == ["case_assigned"]
    moved = maint.events()[0]
    assert moved["left_agency"] == "PWD-MAINT" and moved["agency"] == "DO-FONGSHAN"
    assert moved["case"]["reporter_phone"] is None or "***" in moved["case"]["reporter_phone"]


def _move(factory: Factory, case: Case, agency_code: str) -> None:
    response = factory.agent.act(case.case_no, "assign", case.version, agency=agency_code)
    assert response.status_code == 200, response.get_json()


def test_a_client_too_far_behind_is_told_to_reload(app: Flask, factory: Factory, connect: Connect) -> None:
    from app.realtime.connections import EXTENSION
    from app.realtime.replay import ReplayLimits

    realtime = app.extensions[EXTENSION]
    realtime.limits = ReplayLimits(max_events=5, retention=realtime.limits.retention)
    supervisor = connect(factory.user("supervisor").token)
    seen = supervisor.last_event_id
    supervisor.disconnect()
    for n in range(4):
        factory.case(description=f"很多事件 {n}")
    supervisor.connect(last_event_id=seen)
    reload = supervisor.wait_for("reload")[0]
    assert reload["reason"] == "too_far_behind" and reload["last_event_id"] >= seen + 8
    assert supervisor.events() == []
    assert supervisor.of("ready")[0]["replayed"] == 0
    later = factory.case(description="重新載入後")
    supervisor.wait_events(_has_case(later.case_no))


@pytest.mark.parametrize("last_event_id", ["abc", -1, 1.5, True, [], "10" * 20, 10**9])
def test_a_last_event_id_that_is_not_a_number_or_in_the_future_means_reload(
    factory: Factory, connect: Connect, last_event_id: object
) -> None:
    factory.case()
    supervisor = connect(factory.user("supervisor").token, last_event_id=last_event_id)
    reload = supervisor.wait_for("reload")[0]
    assert reload["reason"] in ("invalid_last_event_id", "last_event_id_in_future")
    assert supervisor.events() == []


def test_connections_without_a_valid_credential_are_refused(factory: Factory, live_server: str) -> None:
    for auth in ({}, {"token": "not-a-token"}, {"token": 42}, {"token": ""}):
        client = LiveClient(live_server, auth=auth)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect()
        refusal = client.of("connect_error")[-1]
        assert refusal["data"]["code"] == "realtime.unauthenticated" and "登入" in refusal["message"]
        assert not client.sio.connected


def test_a_client_cannot_join_a_room_it_is_not_entitled_to(factory: Factory, connect: Connect) -> None:
    maint = connect(factory.user("agency", agency="PWD-MAINT").token)
    for forged in ("supervisors", "agency:DO-FONGSHAN", "agents", {"room": "supervisors"}):
        answer = maint.sio.call("join", forged, timeout=5)
        assert answer["ok"] is False and answer["error"]["code"] == "realtime.forbidden_room"
    assert maint.sio.call("join", "agency:PWD-MAINT", timeout=5)["ok"] is True
    pothole = factory.case(category_code="pothole", district_code="fongshan")
    marker = commit_marker(factory, maint)  # PWD-MAINT's own, committed after the pothole
    assert {event["case_no"] for event in maint.events()} == {marker} and pothole.case_no != marker


class _StoppedClock:
    """The limiter's clock, moved on only by the test: how fast the connects come is then irrelevant."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_flood_of_connects_from_one_address_is_limited_and_the_server_stays_up(
    app: Flask, factory: Factory, live_server: str
) -> None:
    from app.realtime.connections import EXTENSION
    from app.realtime.ratelimit import ConnectLimiter

    clock = _StoppedClock()
    app.extensions[EXTENSION].limiter = ConnectLimiter(burst=10, per_second=2, clock=clock)
    token = factory.user("supervisor").token
    accepted: list[LiveClient] = []
    refused: list[str] = []

    def attempt() -> None:
        client = LiveClient(live_server, auth={"token": token})
        try:
            client.sio.connect(live_server, auth={"token": token}, transports=["websocket"], wait_timeout=5)
            accepted.append(client)
        except socketio.exceptions.ConnectionError:
            refused.append(client.of("connect_error")[-1]["data"]["code"])

    flood = [threading.Thread(target=attempt) for _ in range(40)]  # all at once
    for thread in flood:
        thread.start()
    for thread in flood:
        thread.join()
    # The burst of 10 is let in; no time passes on the limiter's clock, so no more.
    assert len(accepted) == 10 and refused == ["realtime.rate_limited"] * 30
    clock.now += 0.5  # half a second at 2 per second: one more connect
    survivor = LiveClient(live_server, auth={"token": token}).connect()
    with pytest.raises(socketio.exceptions.ConnectionError):
        LiveClient(live_server, auth={"token": token}).connect()
    case = factory.case()
    survivor.wait_events(_has_case(case.case_no))
    closing = [threading.Thread(target=client.disconnect) for client in [*accepted, survivor]]
    for thread in closing:
        thread.start()
    for thread in closing:
        thread.join()


def test_the_agencys_consoles_get_the_dispatch_alert_once_and_no_one_else_does(
    factory: Factory, connect: Connect
) -> None:
    maint = connect(factory.user("agency", agency="PWD-MAINT").token)
    fongshan = connect(factory.user("agency", agency="DO-FONGSHAN").token)
    supervisor = connect(factory.user("supervisor").token)
    case = factory.case()
    alert = maint.wait_for("alert")[0]
    assert alert["kind"] == "dispatch_alert" and alert["case_no"] == case.case_no
    # It stood for "the outbox row was recorded as delivered": the alert arrives once, to its agency only.
    supervisor.wait_events(_has_case(case.case_no))
    marker = commit_marker(factory, maint, supervisor)
    other = commit_marker(factory, fongshan, category_code="pothole", district_code="fongshan")
    assert [alert["case_no"] for alert in maint.of("alert") if alert["case_no"] != marker] == [case.case_no]
    assert [alert["case_no"] for alert in fongshan.of("alert") if alert["case_no"] != other] == []
    assert supervisor.of("alert") == []


def test_counters_are_pushed_on_change_and_match_the_live_stats_endpoint(factory: Factory, connect: Connect) -> None:
    mayor_user = factory.user("mayor_office")
    mayor = connect(mayor_user.token)
    before = mayor.wait_for("counters")[-1]["totals"]  # sent right after `ready`
    factory.case()
    factory.case(category_code="pothole", district_code="fongshan")
    mayor.wait_for("counters", count=2, timeout=5)
    mayor.wait_until(lambda: mayor.of("counters")[-1]["totals"]["open"] >= before["open"] + 2, "the recount")
    pushed = mayor.of("counters")[-1]
    assert pushed["totals"]["open"] == before["open"] + 2
    assert pushed["totals"]["unacknowledged"] == before["unacknowledged"] + 2
    polled = mayor_user.get("/stats/live").get_json()
    assert polled["agencies"] == pushed["agencies"] and polled["totals"] == pushed["totals"]
    assert mayor.events() == []  # statistics only

    responder = factory.user("agency", agency="PWD-MAINT")
    own = responder.get("/stats/live").get_json()
    assert [row["agency"] for row in own["agencies"]] == ["PWD-MAINT"] and own["totals"]["open"] == 1

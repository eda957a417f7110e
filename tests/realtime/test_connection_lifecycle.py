"""Connections that stop being entitled, admissions that fail, and a server behind a proxy."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import socketio
from flask import Flask
from sqlalchemy import update
from werkzeug.serving import make_server

from app import create_app
from app.db import db
from app.models import Agency, User
from app.realtime import replay
from app.realtime.connections import EXTENSION
from app.reference.cache import reference_cache
from tests.conftest import _settings
from tests.factories import Factory
from tests.realtime.conftest import LiveClient

Connect = Callable[..., LiveClient]


def _until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_deactivated_user_or_a_revoked_token_is_cut_off(app: Flask, factory: Factory, connect: Connect) -> None:
    responder = factory.user("agency", agency="PWD-MAINT")
    kept, revoked, deactivated = (factory.user("supervisor") for _ in range(3))
    clients = {name: connect(user.token) for name, user in (("kept", kept), ("revoked", revoked))}
    clients["deactivated"] = connect(deactivated.token)
    clients["responder"] = connect(responder.token)
    app.test_cli_runner().invoke(args=["user", "revoke", revoked.actor.username])
    db.session.execute(update(User).where(User.id == deactivated.actor.user_id).values(active=False))
    db.session.commit()

    cut = app.extensions[EXTENSION].revalidate()
    assert len(cut) == 2
    assert _until(lambda: not clients["revoked"].sio.connected and not clients["deactivated"].sio.connected)
    assert clients["kept"].sio.connected and clients["responder"].sio.connected


def test_an_admission_that_fails_disconnects_the_client_so_it_retries(
    factory: Factory, connect: Connect, live_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = factory.user("supervisor").token
    real_plan = replay.plan_replay
    failures = iter([RuntimeError("the database went away for a moment")])

    def flaky_plan(*args: object, **kwargs: object) -> replay.Plan:
        for failure in failures:
            raise failure
        return real_plan(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(replay, "plan_replay", flaky_plan)
    stranded = LiveClient(live_server, auth={"token": token})
    stranded.sio.connect(live_server, auth={"token": token}, transports=["websocket"], wait_timeout=5)
    assert _until(lambda: not stranded.sio.connected), "left connected without a replay"
    assert stranded.of("ready") == []
    again = connect(token, last_event_id=0)  # what a console's reconnection does
    assert again.of("ready")


@pytest.mark.mutates_reference  # on PostgreSQL the agency must be active again for the next test
def test_a_responder_of_an_agency_no_longer_active_gets_no_ones_counters(
    app: Flask, factory: Factory, connect: Connect
) -> None:
    factory.case()  # PWD-MAINT has an open case
    responder = factory.user("agency", agency="DO-FONGSHAN")
    db.session.execute(update(Agency).where(Agency.code == "DO-FONGSHAN").values(active=False))
    db.session.commit()
    reference_cache.clear()
    client = connect(responder.token)
    counters = client.wait_for("counters")[0]
    assert counters["agencies"] == [] and counters["totals"]["open"] == 0


def test_an_agency_does_not_learn_the_number_of_another_agencys_case_from_a_merge(
    factory: Factory, connect: Connect
) -> None:
    maint = connect(factory.user("agency", agency="PWD-MAINT").token)
    staff = connect(factory.user("supervisor").token)
    duplicate = factory.case(description="同一棵樹，第二通電話")
    elsewhere = factory.case(category_code="pothole", district_code="fongshan")  # DO-FONGSHAN's
    response = factory.agent.act(duplicate.case_no, "merge", duplicate.version, into=elsewhere.case_no, reason="重複")
    assert response.status_code == 200, response.get_json()
    maint.wait_events(lambda events: any(e["type"] == "case_merged" for e in events))
    staff.wait_events(lambda events: any(e["type"] == "case_merged" for e in events))
    merged = next(e for e in maint.events() if e["type"] == "case_merged")
    assert merged["payload"]["into"] is None and elsewhere.case_no not in repr(maint.messages)
    assert next(e for e in staff.events() if e["type"] == "case_merged")["payload"]["into"] == elsewhere.case_no


@pytest.fixture
def proxied_server(database_url: str, tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    """The app as deployed behind nginx (HOTLINE_PROXY_HOPS=1), served on a loopback port."""
    settings = _settings(database_url, tmp_path)
    app = create_app(settings.__class__(**{**settings.__dict__, "proxy_hops": 1}), TESTING=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions[EXTENSION].stop()


def test_behind_a_tls_proxy_the_browsers_https_origin_is_accepted_and_a_foreign_one_is_not(
    factory: Factory, proxied_server: tuple[Flask, str]
) -> None:
    _, url = proxied_server
    token = factory.user("supervisor").token
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hotline.kcg.gov.tw", "X-Forwarded-For": "10.1.2.3"}
    # Long-polling: websocket-client would add an Origin header of its own to the handshake.
    same_site = socketio.Client(reconnection=False)
    same_site.connect(
        url,
        auth={"token": token},
        transports=["polling"],
        headers={**forwarded, "Origin": "https://hotline.kcg.gov.tw"},
    )
    assert same_site.connected
    same_site.disconnect()
    foreign = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        foreign.connect(
            url,
            auth={"token": token},
            transports=["polling"],
            headers={**forwarded, "Origin": "https://evil.example"},
        )

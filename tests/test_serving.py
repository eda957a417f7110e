"""Serving: forwarded headers from trusted proxies only, a fast 503 beyond the write limit, the connection budget."""

from __future__ import annotations

import dataclasses
import logging
import runpy
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio
from flask import Flask
from gunicorn.config import Config
from sqlalchemy import func, select
from werkzeug.serving import make_server
from werkzeug.test import Client

from app import create_app
from app.db import db
from app.models import Case
from app.realtime.connections import EXTENSION as REALTIME
from app.serving import TrustedProxyFix, WriteGate, check_connection_budget, connection_budget
from config.settings import PROJECT_ROOT, Settings, SettingsError
from tests.conftest import POSTGRES, _settings
from tests.factories import DISPATCH, Factory


def _echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    seen = f"{environ['REMOTE_ADDR']} {environ['wsgi.url_scheme']}://{environ.get('HTTP_HOST')}"
    return [seen.encode(), b" " + environ.get("HTTP_X_FORWARDED_HOST", "-").encode()]


FORWARDED = {"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "hotline.kcg.gov.tw:5600"}


def test_forwarded_headers_count_only_from_a_trusted_proxy() -> None:
    client = Client(TrustedProxyFix(_echo, hops=1, trusted=("127.0.0.1", "::1", "10.0.0.0/8")))
    via_nginx = client.get("/", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.1.1.1"})
    # The browser's host with its port (nginx sends $http_host): a console on :5600 is same-origin.
    assert via_nginx.get_data(as_text=True).startswith("1.2.3.4 https://hotline.kcg.gov.tw:5600")
    direct = client.get("/", headers=FORWARDED, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert direct.get_data(as_text=True) == "192.0.2.7 http://localhost -"


def test_a_trusted_proxy_list_that_is_not_addresses_is_refused() -> None:
    with pytest.raises(SettingsError, match="HOTLINE_TRUSTED_PROXIES"):
        Settings.from_env({"SECRET_KEY": "x", "HOTLINE_TRUSTED_PROXIES": "127.0.0.1,nginx"})
    assert Settings.from_env({"SECRET_KEY": "x"}).trusted_proxies == ("127.0.0.1", "::1")


@pytest.fixture
def untrusted_loopback(database_url: str, tmp_path: Path) -> Iterator[str]:
    """Behind-nginx settings, but the proxy is elsewhere: this test's loopback client is a direct client."""
    settings = dataclasses.replace(
        _settings(database_url, tmp_path),
        proxy_hops=1,
        trusted_proxies=("10.0.0.1",),
        socket_connect_burst=2,
        socket_connects_per_second=0.01,
    )
    app = create_app(settings, TESTING=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions[REALTIME].stop()


def test_a_direct_client_cannot_step_around_the_connect_limit_with_a_made_up_address(
    factory: Factory, untrusted_loopback: str
) -> None:
    token = factory.user("supervisor").token
    outcomes = []
    for number in range(3):
        client = socketio.Client(reconnection=False)
        try:
            client.connect(
                untrusted_loopback,
                auth={"token": token},
                transports=["polling"],
                headers={"X-Forwarded-For": f"198.51.100.{number}"},
            )
            outcomes.append("connected")
            client.disconnect()
        except socketio.exceptions.ConnectionError as refused:
            outcomes.append(str(refused))
    assert outcomes[:2] == ["connected", "connected"]
    assert outcomes[2] != "connected"  # the third connect from this address, whatever it claimed to be


def test_a_direct_client_cannot_claim_the_proxys_origin(factory: Factory, untrusted_loopback: str) -> None:
    forged = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        forged.connect(
            untrusted_loopback,
            auth={"token": factory.user("supervisor").token},
            transports=["polling"],
            headers={**FORWARDED, "Origin": "https://hotline.kcg.gov.tw:5600"},
        )


def _cases() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Case)) or 0)


def test_beyond_the_write_limit_an_api_write_is_refused_at_once_with_retry_after(app: Flask, factory: Factory) -> None:
    gate: WriteGate = app.extensions["hotline_write_gate"]
    agent = factory.agent
    held = [gate.enter() for _ in range(gate.limit)]  # every slot busy with a slow write
    assert all(held)
    gate.wait = 0.05
    before = _cases()
    refused = agent.post("/cases", DISPATCH)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    assert refused.get_json()["error"]["code"] == "http.database_busy"
    assert "秒後再試" in refused.get_json()["error"]["message"]
    assert "try again" in agent.post("/cases", DISPATCH, language="en").get_json()["error"]["message"]
    db.session.rollback()
    assert _cases() == before  # nothing recorded
    assert agent.get("/cases").status_code == 200  # reads are not gated
    for _ in held:
        gate.leave()
    assert [agent.post("/cases", DISPATCH).status_code for _ in range(gate.limit + 2)] == [201] * (gate.limit + 2)
    # Every slot came back after each request, refused or not.
    assert [gate.enter() for _ in range(gate.limit)] == [True] * gate.limit


def test_a_write_that_already_waited_its_queue_budget_behind_nginx_is_refused_at_once(
    app: Flask, factory: Factory
) -> None:
    """Under overload requests queue for a thread before the gate sees them; nginx stamps when it accepted each
    (X-Request-Start, $msec) and one that already waited longer than the budget is refused without waiting."""
    gate: WriteGate = app.extensions["hotline_write_gate"]
    agent = factory.agent
    before = _cases()

    def post(waited: float, language: str = "zh-TW") -> Any:
        stamp = {"X-Request-Start": f"t={time.time() - waited:.3f}"}
        return agent.client.post("/api/v1/cases", json=DISPATCH, headers={**agent.headers(language), **stamp})

    refused = post(gate.max_queued + 1)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    assert refused.get_json()["error"]["code"] == "http.database_busy"
    assert "秒後再試" in refused.get_json()["error"]["message"]
    assert "try again" in post(gate.max_queued + 1, "en").get_json()["error"]["message"]
    db.session.rollback()
    assert _cases() == before  # nothing recorded
    # A fresh stamp, a stamp from the future or garbage: the write goes through, and every slot came back.
    assert post(0.01).status_code == 201
    for garbage in (f"t={time.time() + 60:.3f}", "t=soon", "nan"):
        headers = {**agent.headers("zh-TW"), "X-Request-Start": garbage}
        assert agent.client.post("/api/v1/cases", json=DISPATCH, headers=headers).status_code == 201
    assert [gate.enter() for _ in range(gate.limit)] == [True] * gate.limit
    for _ in range(gate.limit):
        gate.leave()


def test_the_connection_budget_adds_every_pool_and_warns_above_max_connections(app: Flask) -> None:
    settings = dataclasses.replace(app.config["HOTLINE_SETTINGS"], db_pool_size=10, db_pool_overflow=5)
    # web: 15 + numbers 4 + feed 8 = 27; worker: 15 + 4 + leader lock 1 = 20.
    assert connection_budget(settings, web=2, workers=2) == 94
    fits = check_connection_budget(db.engine, settings, web=1, workers=1)
    too_many = check_connection_budget(db.engine, settings, web=40, workers=2)
    assert fits is None
    if POSTGRES:
        assert too_many is not None and "max_connections" in too_many and "1120" in too_many
    else:
        assert too_many is None  # SQLite has no connection limit to check


def test_a_process_that_starts_with_more_connections_budgeted_than_postgresql_accepts_says_so(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Outside the tests, create_app itself checks the budget of HOTLINE_WEB_PROCESSES and HOTLINE_WORKERS."""
    settings = dataclasses.replace(_settings(database_url, tmp_path), env="production", web_processes=40, workers=2)
    with caplog.at_level(logging.WARNING, logger="app.serving"):
        app = create_app(settings, TESTING=True)
    app.extensions[REALTIME].stop()
    warned = [record.getMessage() for record in caplog.records if "connection budget" in record.getMessage()]
    if POSTGRES:
        assert len(warned) == 1 and "40 web process(es) and 2 worker(s)" in warned[0]
    else:
        assert warned == []  # SQLite has no connection limit to check


def test_every_gunicorn_started_here_runs_without_the_shared_control_socket() -> None:
    """gunicorn.conf.py (read by `make run` and any gunicorn started in the project) names a setting gunicorn knows."""
    config = Config()
    for name, value in runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py")).items():
        if name in config.settings:
            config.set(name, value)
    assert config.control_socket_disable is True
    assert config.limit_request_line == 0


def test_a_flood_of_refused_writes_is_logged_once_per_interval_not_once_per_refusal(
    app: Flask, factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    gate: WriteGate = app.extensions["hotline_write_gate"]
    held = [gate.enter() for _ in range(gate.limit)]
    gate.wait, gate.log_every = 0.0, 3600.0
    try:
        with caplog.at_level(logging.WARNING, logger="app.serving"):
            statuses = [factory.agent.post("/cases", DISPATCH).status_code for _ in range(5)]
    finally:
        for _ in held:
            gate.leave()
    assert statuses == [503] * 5
    lines = [record.getMessage() for record in caplog.records if record.name == "app.serving"]
    assert len(lines) == 1 and "overloaded" in lines[0]


def test_behind_pgbouncer_no_engine_prepares_statements(database_url: str, tmp_path: Path) -> None:
    settings = Settings.from_env({"SECRET_KEY": "x", "DATABASE_URL": database_url, "HOTLINE_DB_PGBOUNCER": "1"})
    assert settings.driver_options == {"prepare_threshold": None}
    app = create_app(dataclasses.replace(settings, instance_dir=tmp_path, env="test"), TESTING=True)
    try:
        if database_url.startswith("postgresql"):
            assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"prepare_threshold": None}
        assert Settings.from_env({"SECRET_KEY": "x"}).driver_options == {}
    finally:
        app.extensions[REALTIME].stop()

"""Issue 11: no 500 from input or load; every error in the JSON shape."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app import create_app
from app.db import db
from app.models import Case
from app.reference.cache import reference_cache
from tests.conftest import _settings
from tests.factories import DISPATCH, Factory

ROOT = Path(__file__).resolve().parents[2]


def _cases() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Case)) or 0


def _is_error_envelope(response: object, status: int, code: str) -> None:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.get_json()["error"]["code"] == code  # type: ignore[attr-defined]


def test_nul_in_a_login_form_or_a_query_string_is_refused_once_for_every_input(factory: Factory) -> None:
    client = factory.client
    response = client.post("/login", data={"username": "admin\x00", "password": "x" * 10})
    _is_error_envelope(response, 422, "validation.failed")
    assert "username" in response.get_json()["error"]["fields"]
    agent = factory.agent
    for query in ({"q": "路樹\x00"}, {"district": "\x00"}, {"\x00": "x"}):
        _is_error_envelope(agent.get("/cases", query_string=query), 422, "validation.failed")
    before = _cases()
    _is_error_envelope(agent.post("/cases?x=%00", json=DISPATCH), 422, "validation.failed")
    assert _cases() == before


def test_a_405_says_which_methods_are_allowed_in_the_json_shape(client: FlaskClient) -> None:
    for method, path in (("delete", "/api/v1/cases"), ("put", "/login"), ("post", "/api/v1/stats/live")):
        response = getattr(client, method)(path)
        _is_error_envelope(response, 405, "http.method_not_allowed")
        assert response.headers["Allow"] and "GET" in response.headers["Allow"]


def test_a_very_long_path_is_a_json_414(client: FlaskClient) -> None:
    _is_error_envelope(client.get("/api/v1/cases/" + "9" * 10_000), 414, "http.uri_too_long")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def gunicorn(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The app served as deployed, by gunicorn started in the project's directory (its gunicorn.conf.py)."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "HOTLINE_INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "t"}
    env.pop("REDIS_URL", None)
    command = [str(Path(sys.executable).parent / "gunicorn"), "-w", "1", "--threads", "4"]
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(  # noqa: S603
        [*command, "--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # until it serves (or 30 s)
            try:
                httpx.get(f"{url}/api/v1/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_gunicorn_leaves_a_10_kb_path_to_the_app_which_answers_json(gunicorn: str) -> None:
    response = httpx.get(f"{gunicorn}/api/v1/cases/{'9' * 10_240}", timeout=10)
    assert response.status_code == 414 and response.json()["error"]["code"] == "http.uri_too_long"


@pytest.fixture
def tiny_pool_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app with one pooled connection and a short wait for it: a saturated database, on demand."""
    reference_cache.clear()
    settings = replace(_settings(database_url, tmp_path), db_pool_size=1, db_pool_overflow=0, db_pool_timeout=0.2)
    app = create_app(settings, TESTING=True)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_a_saturated_pool_answers_503_with_retry_after_and_creates_nothing(tiny_pool_app: Flask) -> None:
    from tests.conftest import TZ

    factory = Factory(app=tiny_pool_app, client=tiny_pool_app.test_client(), tz=TZ)
    agent = factory.agent
    before = _cases()
    db.session.remove()
    with db.engine.connect():  # the pool's only connection, held
        response = agent.post("/cases", json=DISPATCH)
    _is_error_envelope(response, 503, "http.database_busy")
    assert response.headers["Retry-After"] == "2"
    db.session.remove()
    assert _cases() == before
    assert agent.post("/cases", json=DISPATCH).status_code == 201  # and it serves again once one is free

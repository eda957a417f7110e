"""Two web processes and a worker sharing the real Redis: every client hears every process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from app.db import utcnow
from tests.factories import DISPATCH, Factory
from tests.realtime.conftest import LiveClient, commit_marker

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_serving(url: str, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url} exited: {log.read_text(encoding='utf-8')[-2000:]}")
        try:
            httpx.get(f"{url}/api/v1/openapi.json", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not start: {log.read_text(encoding='utf-8')[-2000:]}")


@pytest.fixture
def processes(database_url: str, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Start `web` processes (gunicorn, as deployed) or the `worker`; returns a web process's URL."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "HOTLINE_SOCKETIO_CHANNEL": f"hotline-test-{uuid.uuid4().hex}",  # this test's messages only
        "HOTLINE_INSTANCE_DIR": str(tmp_path),
        "HOTLINE_ENV": "test",
        "SECRET_KEY": "test-secret",
    }
    started: list[subprocess.Popen[str]] = []

    def start(name: str) -> str:
        log = tmp_path / f"{name}.log"
        if name == "worker":
            command = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--interval", "0.5"]
            url = ""
        else:
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            command = [str(Path(sys.executable).parent / "gunicorn"), "-w", "1", "--threads", "20"]
            command += ["--bind", f"127.0.0.1:{port}", "wsgi:app"]
        output = log.open("w")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
        started.append(process)
        if url:
            _wait_until_serving(url, process, log)
        return url

    yield start
    for process in started:
        process.terminate()
    for process in started:
        process.wait(timeout=10)


def test_an_event_committed_through_one_process_reaches_a_client_of_the_other_and_the_worker_reaches_both(
    factory: Factory, processes: Callable[[str], str]
) -> None:
    first, second = processes("web-1"), processes("web-2")
    processes("worker")
    token = factory.user("supervisor").token
    on_first = LiveClient(first, auth={"token": token}).connect()
    on_second = LiveClient(second, auth={"token": token}).connect()
    responder = LiveClient(second, auth={"token": factory.user("agency", agency="PWD-MAINT").token}).connect()
    try:
        agent = factory.agent
        response = httpx.post(f"{first}/api/v1/cases", json=DISPATCH, headers=agent.headers(), timeout=10)
        assert response.status_code == 201, response.text
        case_no = response.json()["case_no"]
        for client in (responder, on_second, on_first):
            client.wait_events(lambda events: any(e["case_no"] == case_no for e in events), timeout=3)
        # The dispatch alert comes from the feed of the responder's own process, after its event.
        assert responder.wait_for("alert")[0]["case_no"] == case_no
        # A tree down 20 minutes ago: the worker's sweep fires its missed acknowledgement milestones.
        late = factory.case(now=utcnow() - timedelta(minutes=20), description="二十分鐘前倒的樹")
        for client in (on_first, on_second):
            client.wait_events(
                lambda events: (
                    {"sla_warning", "sla_breached", "sla_escalated"}
                    <= {e["type"] for e in events if e["case_no"] == late.case_no}
                ),
                timeout=10,
            )
        # A case committed after all that: once every client has it, any duplicate would have come before it.
        marker = commit_marker(factory, on_first, on_second, responder)
        for client in (on_first, on_second):
            ids = client.event_ids()
            assert len(ids) == len(set(ids)) and ids == sorted(ids)
            alerts = [(a["kind"], a["case_no"]) for a in client.of("alert")]
            assert alerts.count(("sla_escalation_alert", late.case_no)) == 1
            assert alerts.count(("dispatch_alert", case_no)) == 0  # supervisors get no agency alert
        dispatch_alerts = [a["case_no"] for a in responder.of("alert") if a["case_no"] != marker]
        assert all(a["kind"] == "dispatch_alert" for a in responder.of("alert"))
        assert dispatch_alerts == [case_no, late.case_no]
    finally:
        for client in (on_first, on_second, responder):
            client.disconnect()

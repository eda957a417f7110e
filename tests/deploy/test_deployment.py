"""The shipped deployment (config/deploy) holds: nginx with TLS on a port other than 443 in front of two web
processes and two workers, started from the very files shipped; consoles lose and repeat nothing when a web
process and the sweeping worker are killed."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.db import utcnow
from tests.conftest import POSTGRES
from tests.deploy import scenario
from tests.deploy.consoles import Console
from tests.deploy.stack import DEPLOY, Stack, unit_command
from tests.factories import DISPATCH, Factory

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not POSTGRES,
        reason="the deployment is PostgreSQL + Redis (the sweep's standby needs the advisory lock): "
        "runs in the PostgreSQL pass of `make test`",
    ),
    pytest.mark.skipif(
        shutil.which("nginx") is None and not os.environ.get("HOTLINE_REQUIRE_NGINX"),
        reason="nginx is not installed (apt-get install nginx; .ci/run does)",
    ),
]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def stack(database_url: str, tmp_path: Path) -> Iterator[Stack]:
    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    deployed = Stack(directory=tmp_path, database_url=url, redis_url=REDIS_URL)
    try:
        yield deployed
    finally:
        deployed.stop()


def test_the_shipped_units_bind_loopback_without_a_control_socket() -> None:
    web = unit_command(DEPLOY / "systemd" / "hotline1999-web@.service", "5001", {"HOTLINE_THREADS": "200"})
    assert web[web.index("--bind") + 1] == "127.0.0.1:5001"
    assert "--no-control-socket" in web and web[web.index("--threads") + 1] == "200"


def test_both_nginx_variants_are_complete_configurations(stack: Stack) -> None:
    for variant in ("tls", "plain"):
        checked = stack.check_nginx(variant)
        assert checked.returncode == 0, checked.stderr


def test_consoles_through_nginx_lose_and_repeat_nothing_when_a_web_process_and_the_sweeper_die(
    stack: Stack, factory: Factory
) -> None:
    stack.start_web(1, 2)
    stack.start_worker(1, 2)
    stack.start_nginx()
    figures = scenario.run(
        stack,
        supervisor_token=factory.user("supervisor").token,
        agent_token=factory.agent.token,
        late_case=lambda: str(factory.case(now=utcnow() - timedelta(minutes=20), description="二十分鐘前").case_no),
        # WebSocket consoles, each from its own address (long-polling ones that go home by themselves after the
        # restart leave sessions behind until the ping timeout, and python-socketio's polling client was seen
        # looping on reconnects there: bench/deploy.py still runs half of its consoles long-polling).
        polling_consoles=0,
        websocket_consoles=12,
        rate=4,
    )
    print(figures)  # shown with -s; bench/deploy.py records them
    # Twenty clients of one /24 are spread over both processes (ip_hash would put them all on one).
    assert len(figures["spread_of_addresses_over_processes"]) == 2, figures
    # Every console on the killed process came back, and every console has every event exactly once.
    assert figures["consoles_disconnected"] >= 1, figures
    assert figures["missing"] == 0 and figures["duplicated"] == 0, figures
    assert figures["writes"].get("201", 0) > 0, figures
    # The standby took the sweep over and swept the late case.
    assert figures["sweep_takeover_seconds"] is not None
    # Consoles (each from its own address) were spread over both processes; the survivor held them all after
    # the kill; after the restart it asked its surplus to move and nginx's hash sent them back (scenario.run
    # waits for the spread before the kill to return, and the tally above covers every reconnect).
    consoles = figures["consoles"]
    assert len(figures["consoles_per_process_before"]) == 2, figures
    assert figures["consoles_per_process_after_kill"] == [consoles], figures
    after, before = figures["consoles_per_process_after_restart"], figures["consoles_per_process_before"]
    assert len(after) == 2 and min(after) >= 1 and max(after) <= max(before), figures
    assert figures["consoles_asked_to_move"] >= 1, figures


def test_when_a_process_has_no_thread_left_nginx_sends_the_next_client_to_the_other_one(
    database_url: str, tmp_path: Path, factory: Factory
) -> None:
    """Threads per process: each console holds one. A process whose threads are all held accepts a request
    and never answers it; nginx's max_conns (= the threads here) keeps it from being sent one."""
    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    small = Stack(directory=tmp_path, database_url=url, redis_url=REDIS_URL, threads=3, max_conns=3)
    token = factory.user("supervisor").token
    consoles: list[Console] = []
    try:
        small.start_web(1, 2)
        small.start_nginx()
        # Three consoles from one address: the same process by the hash, until it is full.
        consoles = [Console(small.url, token).connect() for _ in range(3)]
        full = next(port for port in small.web_ports if _hangs(f"http://127.0.0.1:{port}"))
        assert small.web_ports.count(full) == 1
        # Through nginx the same client is answered at once, by the other process.
        answered = httpx.get(f"{small.url}/api/v1/openapi.json?after-full", verify=False, timeout=5)  # noqa: S501
        assert answered.status_code == 200
        # nginx logs a request after answering it: wait for the line, not for a while.
        deadline = time.monotonic() + 10
        while "127.0.0.1" not in small.upstreams("after-full") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert small.upstreams("after-full")["127.0.0.1"] != str(full)
    finally:
        for console in consoles:
            console.sio.disconnect()
        small.stop()


def _hangs(url: str) -> bool:
    try:
        httpx.get(f"{url}/api/v1/openapi.json", timeout=3)
    except httpx.TimeoutException:
        return True
    return False


def test_a_write_that_waited_behind_busy_threads_is_refused_with_retry_after_and_changes_nothing(
    database_url: str, tmp_path: Path, factory: Factory
) -> None:
    """Overload, not timed: nginx stamps when it accepted the write (X-Request-Start); the write waits in gunicorn's
    queue while every thread of the process is held, and once it gets one it has waited longer than
    HOTLINE_WRITE_MAX_QUEUE_SECONDS: 503 + Retry-After at once, in the caller's language, nothing recorded."""
    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    small = Stack(directory=tmp_path, database_url=url, redis_url=REDIS_URL, threads=3, max_conns=50)
    supervisor, agent = factory.user("supervisor").token, factory.agent.token
    consoles: list[Console] = []
    answers: list[httpx.Response] = []
    try:
        # One web process: nginx spreads API requests over every process by request id, so with two the writes
        # could find the other one's free threads. Three consoles hold every thread of this one.
        small.start_web(1)
        small.start_nginx()
        consoles = [Console(small.url, supervisor).connect() for _ in range(3)]
        before = _cases(url)

        def write(language: str) -> None:
            headers = {"Authorization": f"Bearer {agent}", "Accept-Language": language}
            with httpx.Client(verify=False, timeout=30) as client:  # noqa: S501 (the test's certificate)
                answers.append(client.post(f"{small.url}/api/v1/cases", json=DISPATCH, headers=headers))

        writers = [threading.Thread(target=write, args=(language,)) for language in ("zh-TW", "en")]
        for writer in writers:
            writer.start()
        time.sleep(1.0)  # the cause, not the proof: the writes wait for a thread longer than the 0.5 s bound
        consoles.pop().sio.disconnect()  # one thread frees; the writes get it in turn
        for writer in writers:
            writer.join(timeout=30)
    finally:
        for console in consoles:
            console.sio.disconnect()
        small.stop()
    assert [answer.status_code for answer in answers] == [503, 503]
    assert all(answer.headers["Retry-After"] == "1" for answer in answers)
    messages = {answer.json()["error"]["message"] for answer in answers}
    assert any("秒後再試" in text for text in messages) and any("try again" in text for text in messages)
    assert {answer.json()["error"]["code"] for answer in answers} == {"http.database_busy"}
    assert _cases(url) == before  # nothing recorded


def _cases(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM cases")).scalar_one())
    finally:
        engine.dispose()

"""One run of the deployment under failure: consoles through nginx, cases committed throughout, a web process
and the sweeping worker killed, the web process restarted; what every console received against the audit trail.
Used by tests/deploy/test_deployment.py (asserts) and bench/deploy.py (figures)."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import create_engine, select, text

from app.models import CaseEvent
from tests.deploy.consoles import Console
from tests.deploy.stack import Stack
from tests.factories import DISPATCH

LEADS = "now leads the SLA sweep"


def _wait(condition: Callable[[], bool], what: str | Callable[[], str], timeout: float) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"waited {timeout}s for {what if isinstance(what, str) else what()}")
        time.sleep(0.05)
    return time.monotonic() - start


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class Writer(threading.Thread):
    """An agent recording cases through nginx at `rate` per second; what each POST was answered."""

    def __init__(self, url: str, token: str, rate: float) -> None:
        super().__init__(daemon=True)
        self.url, self.token, self.rate = url, token, rate
        self.statuses: Counter[str] = Counter()
        self.stopping = threading.Event()
        self.peak_connections = 0
        self.database_url = ""

    def run(self) -> None:
        with httpx.Client(verify=False, timeout=10) as client:  # noqa: S501 (the test's self-signed certificate)
            while not self.stopping.is_set():
                try:
                    response = client.post(
                        f"{self.url}/api/v1/cases", json=DISPATCH, headers={"Authorization": f"Bearer {self.token}"}
                    )
                    self.statuses[str(response.status_code)] += 1
                except httpx.HTTPError as exc:
                    self.statuses[type(exc).__name__] += 1
                if self.database_url and sum(self.statuses.values()) % 10 == 0:
                    self.peak_connections = max(self.peak_connections, _connections(self.database_url))
                self.stopping.wait(1 / self.rate)


def spread(stack: Stack, clients: int) -> dict[str, int]:
    """GETs from 127.0.0.2 … (one /24): how many client addresses each process answers."""
    for number in range(2, 2 + clients):
        with httpx.Client(
            verify=False,  # noqa: S501
            transport=httpx.HTTPTransport(local_address=f"127.0.0.{number}", verify=False),
        ) as client:
            client.get(f"{stack.url}/api/v1/openapi.json?spread")
    return dict(Counter(stack.upstreams("spread").values()))


def run(
    stack: Stack,
    *,
    supervisor_token: str,
    agent_token: str,
    late_case: Callable[[], str],
    polling_consoles: int,
    websocket_consoles: int,
    rate: float,
) -> dict[str, Any]:
    """The whole scenario; returns the figures (the caller asserts or records them)."""
    figures: dict[str, Any] = {"spread_of_addresses_over_processes": spread(stack, 20)}
    consoles = [
        Console(stack.url, supervisor_token, source=f"127.0.0.{100 + number}", ca=stack.certificate).connect()
        for number in range(polling_consoles)
    ]
    consoles += [
        Console(stack.url, supervisor_token, source=f"127.0.0.{150 + number}", websocket=True).connect()
        for number in range(websocket_consoles)
    ]
    # Every console counted by the process holding it (each publishes its count every second).
    _wait(lambda: sum(stack.consoles_per_process().values()) == len(consoles), "consoles counted", timeout=20)
    held_before = stack.consoles_per_process()
    before = figures["consoles_per_process_before"] = sorted(held_before.values())
    writer = Writer(stack.url, agent_token, rate)
    writer.database_url = stack.database_url
    writer.start()
    try:
        time.sleep(2)
        # Kill -9 the web process carrying most consoles; they reconnect through nginx to the other one.
        held = {number: held_before.get(stack.identity(f"web-{number}"), 0) for number in (1, 2)}
        victim = max(held, key=lambda number: held[number])
        killed_at = time.monotonic()
        stack.kill(f"web-{victim}")
        _wait(lambda: sum(1 for c in consoles if c.disconnects) >= held[victim], "its consoles to notice", 60)
        moved = [c for c in consoles if c.disconnects]
        _wait(lambda: all(len(c.readies) >= 2 for c in moved), "consoles back", timeout=60)
        reconnects = [c.readies[1] - killed_at for c in moved]
        figures["killed_web_process"] = victim
        figures["consoles_disconnected"] = len(reconnects)
        figures["reconnect_seconds_p50"] = round(statistics.median(reconnects), 2) if reconnects else None
        figures["reconnect_seconds_max"] = round(max(reconnects), 2) if reconnects else None
        _wait(lambda: list(stack.consoles_per_process().values()) == [len(consoles)], "one process holding all", 20)
        figures["consoles_per_process_after_kill"] = sorted(stack.consoles_per_process().values())

        # Kill -9 the worker that sweeps; the standby takes the sweep over.
        _wait(lambda: any(LEADS in stack.log(name) for name in ("worker-1", "worker-2")), "a sweep leader", 30)
        leader = next(name for name in ("worker-1", "worker-2") if LEADS in stack.log(name))
        standby = "worker-2" if leader == "worker-1" else "worker-1"
        killed_at = time.monotonic()
        stack.kill(leader)
        figures["sweep_takeover_seconds"] = round(
            _wait(lambda: LEADS in stack.log(standby), "the standby leading", timeout=40), 2
        )
        late = late_case()
        figures["late_case"] = late
        figures["late_case_swept_seconds"] = round(
            _wait(lambda: _swept(stack.database_url, late), "the late case swept", timeout=20), 2
        )

        # The killed process comes back: where are the consoles now?
        # The killed process comes back: the survivor asks its surplus to reconnect, and nginx's hash sends
        # each where it was before the kill (the same two processes, the same addresses).
        stack.start_web(victim)
        figures["rebalanced_seconds"] = round(
            _wait(
                lambda: _spread_again(stack.consoles_per_process(), before, polling_consoles),
                lambda: (
                    f"consoles spread, at worst as before the kill ({figures['consoles_per_process_before']}): "
                    f"now {stack.consoles_per_process()}, asked {[c.asked_to_move for c in consoles]}, "
                    f"connected {[c.sio.connected for c in consoles]}"
                ),
                timeout=60,
            ),
            2,
        )  # seconds after the restarted process answered
        figures["consoles_per_process_after_restart"] = sorted(stack.consoles_per_process().values())
        figures["consoles_asked_to_move"] = sum(console.asked_to_move for console in consoles)
    finally:
        writer.stopping.set()
        writer.join(timeout=15)
    figures["writes"] = dict(writer.statuses)

    expected_all = _event_ids(stack.database_url)
    newest = expected_all[-1]
    _wait(lambda: all(newest in c.received for c in consoles), "every console caught up", timeout=30)
    missing = duplicated = 0
    for console in consoles:
        expected = [i for i in expected_all if i > (console.first_watermark or 0)]
        lost, twice = console.tally(expected)
        missing += lost
        duplicated += twice
    figures.update(
        consoles=len(consoles),
        events=len(expected_all),
        deliveries_expected=sum(len([i for i in expected_all if i > (c.first_watermark or 0)]) for c in consoles),
        missing=missing,
        duplicated=duplicated,
        peak_database_connections=writer.peak_connections,
    )
    for console in consoles:
        console.sio.disconnect()
    return figures


def _spread_again(counts: dict[str, int], before: list[int], polling: int) -> bool:
    """Both processes hold consoles again, neither more than the busier held before the kill (nginx's hash sends
    a console that reconnects where its address leads: at worst the spread before the kill), give or take the
    long-polling consoles: one that goes home by itself leaves its old session behind until Socket.IO's ping
    timeout (websocket consoles close theirs)."""
    return len(counts) == 2 and min(counts.values()) >= 1 and max(counts.values()) <= max(before) + polling


def _swept(database_url: str, case_no: str) -> bool:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id "
                    "WHERE c.case_no = :no AND e.event_type = 'sla_breached'"
                ),
                {"no": case_no},
            ).scalar_one()
        return bool(found)
    finally:
        engine.dispose()


def _event_ids(database_url: str) -> list[int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.scalars(select(CaseEvent.id).order_by(CaseEvent.id)))
    finally:
        engine.dispose()


def _connections(database_url: str) -> int:
    """Connections to this database now (pg_stat_activity), sampled during the run for its peak."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
                ).scalar_one()
            )
    finally:
        engine.dispose()

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


def _wait(condition: Callable[[], bool], what: str, timeout: float) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"waited {timeout}s for {what}")
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
    consoles += [Console(stack.url, supervisor_token).connect() for _ in range(websocket_consoles)]
    per_process = Counter(stack.upstreams("/socket.io").get(f"127.0.0.{100 + n}") for n in range(polling_consoles))
    figures["polling_consoles_per_process_before"] = dict(per_process)
    writer = Writer(stack.url, agent_token, rate)
    writer.database_url = stack.database_url
    writer.start()
    try:
        time.sleep(2)
        # Kill -9 the web process carrying most consoles; they reconnect through nginx to the other one.
        busiest = per_process.most_common(1)[0][0]
        victim = 1 + stack.web_ports.index(int(busiest))
        on_victim = [
            consoles[n]
            for n in range(polling_consoles)
            if per_process[f"127.0.0.{100 + n}"] and stack.upstreams("/socket.io").get(f"127.0.0.{100 + n}") == busiest
        ]
        killed_at = time.monotonic()
        stack.kill(f"web-{victim}")
        _wait(lambda: all(c.disconnects for c in on_victim), "its consoles to notice", timeout=60)
        time.sleep(0.5)  # the websocket consoles on it notice at the same moment
        moved = [c for c in consoles if c.disconnects]
        _wait(lambda: all(len(c.readies) >= 2 for c in moved), "consoles back", timeout=60)
        reconnects = [c.readies[1] - killed_at for c in moved]
        figures["killed_web_process"] = victim
        figures["consoles_disconnected"] = len(reconnects)
        figures["reconnect_seconds_p50"] = round(statistics.median(reconnects), 2) if reconnects else None
        figures["reconnect_seconds_max"] = round(max(reconnects), 2) if reconnects else None

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
        stack.start_web(victim)
        time.sleep(1)
        figures["consoles_per_process_after_restart"] = dict(
            Counter(stack.upstreams("/socket.io").get(f"127.0.0.{100 + n}") for n in range(polling_consoles))
        )
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

"""A real server on a loopback port and real python-socketio clients connected to it."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import socketio


@dataclass
class LiveClient:
    """A console as the server sees it: records every message, in arrival order."""

    url: str
    auth: dict[str, Any] | None = None
    messages: list[tuple[str, Any]] = field(default_factory=list)
    sio: socketio.Client = field(default_factory=lambda: socketio.Client(reconnection=False))

    def __post_init__(self) -> None:
        lock = threading.Lock()

        def recorder(name: str) -> Callable[[Any], None]:
            def record(data: Any = None) -> None:
                with lock:
                    self.messages.append((name, data))

            return record

        for name in ("event", "ready", "reload", "counters", "alert", "connect_error"):
            self.sio.on(name, recorder(name))

    def connect(self, **auth: Any) -> LiveClient:
        self.messages.clear()
        self.sio.connect(self.url, auth={**(self.auth or {}), **auth}, transports=["websocket"], wait_timeout=5)
        self.wait_for("ready")
        return self

    def disconnect(self) -> None:
        ws = getattr(self.sio.eio, "ws", None)
        if ws is not None:
            # websocket-client waits 3 s for a close frame the Werkzeug test server never sends.
            ws.close = functools.partial(ws.close, timeout=0.2)
        self.sio.disconnect()

    def of(self, name: str) -> list[Any]:
        return [data for kind, data in list(self.messages) if kind == name]

    def events(self) -> list[dict[str, Any]]:
        return self.of("event")

    def event_ids(self) -> list[int]:
        return [event["id"] for event in self.events()]

    def wait_for(self, name: str, count: int = 1, timeout: float = 5.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.of(name)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {timeout}s for {count} {name!r}; got {self.messages!r}")
            time.sleep(0.01)
        return self.of(name)

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {timeout}s for {what}; got {self.messages!r}")
            time.sleep(0.01)

    def wait_events(self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.events()):
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met in {timeout}s; events: {self.event_ids()}")
            time.sleep(0.01)

    def has_case(self, case_no: str, event_type: str = "case_assigned") -> bool:
        return any(event["case_no"] == case_no and event["type"] == event_type for event in self.events())

    @property
    def last_event_id(self) -> int:
        ready = self.of("ready") + self.of("reload")
        marks = [message["last_event_id"] for message in ready] + self.event_ids()
        return max(marks, default=0)


def commit_marker(factory: Any, *clients: LiveClient, **case_fields: Any) -> str:
    """Prove that nothing else is coming: commit a case after whatever must not arrive (or must not arrive
    twice), and wait until every client has its events. The feed pushes in id order, each event's alert
    right after it, so whatever was committed before the marker and was going to arrive has arrived."""
    marker = factory.case(description="標記：在此之前的都已送達", **case_fields)
    for client in clients:
        client.wait_events(lambda _events, client=client: client.has_case(marker.case_no))
    return str(marker.case_no)


@pytest.fixture
def connect(live_server: str) -> Iterator[Callable[..., LiveClient]]:
    clients: list[LiveClient] = []

    def open_client(token: str | None = None, **auth: Any) -> LiveClient:
        client = LiveClient(live_server, auth={"token": token} if token else {})
        clients.append(client)
        return client.connect(**auth)

    yield open_client
    # websocket-client waits up to 3 s for the server's close frame: close them all at once.
    closing = [threading.Thread(target=client.disconnect) for client in clients if client.sio.connected]
    for thread in closing:
        thread.start()
    for thread in closing:
        thread.join()

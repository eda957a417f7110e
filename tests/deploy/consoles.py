"""Consoles as a browser on another port makes them: through nginx over TLS, with the page's Origin, some
long-polling from their own addresses (sticky by address), reconnecting with their last event id."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import requests
import socketio
from requests.adapters import HTTPAdapter


class SourceAddressAdapter(HTTPAdapter):
    """requests from a given local address (127.0.0.N: a different client to nginx, same /24)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Console:
    def __init__(self, url: str, token: str, *, source: str | None = None, ca: str | None = None) -> None:
        self.url = url
        self.token = token
        self.received: list[int] = []
        self.readies: list[float] = []
        self.disconnects: list[float] = []
        self.refusals: list[Any] = []
        self.first_watermark: int | None = None
        self._lock = threading.Lock()
        session = None
        if source:
            session = requests.Session()
            session.trust_env = False  # or REQUESTS_CA_BUNDLE would win over the line below
            session.verify = ca or True  # the test's self-signed certificate
            session.mount("https://", SourceAddressAdapter(source))
        self.transports = ["polling"] if source else ["websocket"]
        self.sio = socketio.Client(
            reconnection=True,
            reconnection_delay=0.2,
            reconnection_delay_max=0.5,
            randomization_factor=0,
            ssl_verify=bool(source),
            http_session=session,
            # websocket-client adds an Origin of its own unless told which: one header, the page's origin.
            websocket_extra_options={"origin": url},
        )
        self.sio.on("event", self._on_event)
        self.sio.on("ready", self._on_ready)
        self.sio.on("reload", self._on_reload)
        self.sio.on("disconnect", lambda *_: self.disconnects.append(time.monotonic()))
        self.sio.on("connect_error", self.refusals.append)

    def _auth(self) -> dict[str, Any]:
        auth: dict[str, Any] = {"token": self.token}
        if self.first_watermark is not None:
            auth["last_event_id"] = max([self.first_watermark, *self.received])
        return auth

    def _on_event(self, data: dict[str, Any]) -> None:
        with self._lock:
            self.received.append(int(data["id"]))

    def _on_ready(self, data: dict[str, Any]) -> None:
        if self.first_watermark is None:
            self.first_watermark = int(data["last_event_id"])
        self.readies.append(time.monotonic())

    def _on_reload(self, data: dict[str, Any]) -> None:
        raise AssertionError(f"a console was told to reload: {data}")

    def connect(self) -> Console:
        # The page's own origin, https://localhost:<port other than 443>, as a browser sends it.
        headers = {"Origin": self.url} if self.transports == ["polling"] else {}
        self.sio.connect(self.url, auth=self._auth, transports=self.transports, headers=headers, wait_timeout=10)
        deadline = time.monotonic() + 10
        while not self.readies:
            if time.monotonic() > deadline:
                raise AssertionError(f"no ready from {self.url}; refused: {self.refusals}")
            time.sleep(0.02)
        return self

    def tally(self, expected: list[int]) -> tuple[int, int]:
        """(missing, duplicated) against the ids this console should have received."""
        counts = Counter(self.received)
        missing = sum(1 for event_id in expected if event_id not in counts)
        duplicated = sum(count - 1 for count in counts.values())
        return missing, duplicated

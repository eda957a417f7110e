"""Consoles as a browser on another port makes them: through nginx over TLS, with the page's Origin, from
their own addresses (sticky by address), long-polling or over a WebSocket, reconnecting with their last event
id, and moving when a web process asks them to (the `rebalance` event, as hotline-live.js does)."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from typing import Any

import requests
import socketio
import websocket._http
from requests.adapters import HTTPAdapter

SOURCE = "source-address"  # a pseudo socket option: the local address a WebSocket console connects from
_open_socket = websocket._http._open_socket


def _open_socket_from(addrinfo_list: list[Any], sockopt: list[Any], timeout: float | None) -> socket.socket:
    """websocket-client's own socket opening, from the console's own 127.0.0.N when it asks for one."""
    source = next((option[1] for option in sockopt if option[0] == SOURCE), None)
    options = [option for option in sockopt if option[0] != SOURCE]
    if source is None:
        return _open_socket(addrinfo_list, options, timeout)  # type: ignore[no-any-return]
    family, kind, proto, _, address = next(info for info in addrinfo_list if info[0] == socket.AF_INET)
    sock = socket.socket(family, kind, proto)
    sock.settimeout(timeout)
    for option in (*websocket._http.DEFAULT_SOCKET_OPTION, *options):
        sock.setsockopt(*option)
    sock.bind((source, 0))
    sock.connect(address)
    return sock


websocket._http._open_socket = _open_socket_from


class SourceAddressAdapter(HTTPAdapter):
    """requests from a given local address (127.0.0.N: a different client to nginx, same /24)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Console:
    def __init__(
        self, url: str, token: str, *, source: str | None = None, ca: str | None = None, websocket: bool = False
    ) -> None:
        self.url = url
        self.token = token
        self.received: list[int] = []
        self.readies: list[float] = []
        self.disconnects: list[float] = []
        self.asked_to_move = 0
        self.refusals: list[Any] = []
        self.first_watermark: int | None = None
        self._lock = threading.Lock()
        session = None
        if source and not websocket:
            session = requests.Session()
            session.trust_env = False  # or REQUESTS_CA_BUNDLE would win over the line below
            session.verify = ca or True  # the test's self-signed certificate
            session.mount("https://", SourceAddressAdapter(source))
        self.transports = ["polling"] if session else ["websocket"]
        # websocket-client adds an Origin of its own unless told which: one header, the page's origin.
        extra: dict[str, Any] = {"origin": url}
        if source and websocket:
            extra["sockopt"] = [(SOURCE, source)]
        self.sio = socketio.Client(
            reconnection=True,
            reconnection_delay=0.2,
            reconnection_delay_max=0.5,
            randomization_factor=0,
            ssl_verify=session is not None,
            http_session=session,
            websocket_extra_options=extra,
        )
        self.sio.on("event", self._on_event)
        self.sio.on("ready", self._on_ready)
        self.sio.on("reload", self._on_reload)
        self.sio.on("rebalance", self._on_rebalance)
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

    def _on_rebalance(self, data: dict[str, Any]) -> None:
        # Not from the event handler's own thread, which disconnecting waits for.
        self.asked_to_move += 1
        threading.Thread(target=self._move, daemon=True).start()

    def _move(self) -> None:
        self.sio.disconnect()
        self._connect()

    def _connect(self) -> None:
        headers = {"Origin": self.url} if self.transports == ["polling"] else {}
        self.sio.connect(self.url, auth=self._auth, transports=self.transports, headers=headers, wait_timeout=10)

    def connect(self) -> Console:
        # The page's own origin, https://localhost:<port other than 443>, as a browser sends it.
        self._connect()
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

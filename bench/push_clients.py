"""A client process of the push benchmark: `python -m bench.push_clients SPEC.json RESULT.json`.

Connects every console of the spec with python-socketio's AsyncClient (WebSocket transport, auth token) in one
asyncio loop, and records when each `event` arrives (time.time(), first thing in the handler). Talks to the
benchmark over its standard streams:

- prints `READY <connected> <failed>` once every client got `ready` (or failed), then `COUNT <events received>`
  every 0.2 s;
- on a `STOP` line on stdin, writes RESULT.json, disconnects and exits.

A second task sleeps 10 ms at a time and records how late it wakes: the loop's own lag, to tell a slow push
from a client process that cannot keep up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import socketio

CONNECTS_IN_FLIGHT = 25
CONNECT_TIMEOUT = 30.0
LAG_TICK = 0.01


@dataclass
class Console:
    index: int
    url: str
    token: str
    sio: socketio.AsyncClient = field(default_factory=lambda: socketio.AsyncClient(reconnection=False))
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    ready_data: dict[str, Any] | None = None
    events: list[tuple[int, float]] = field(default_factory=list)  # (event id, time.time() at arrival)
    late: list[int] = field(default_factory=list)
    reloads: list[Any] = field(default_factory=list)
    error: str | None = None
    disconnects: int = 0

    def __post_init__(self) -> None:
        self.sio.on("event", self._on_event)
        self.sio.on("ready", self._on_ready)
        self.sio.on("reload", self.reloads.append)
        self.sio.on("disconnect", self._on_disconnect)

    def _on_event(self, data: dict[str, Any]) -> None:
        self.events.append((data["id"], time.time()))
        if data.get("late"):
            self.late.append(data["id"])

    def _on_ready(self, data: dict[str, Any]) -> None:
        self.ready_data = data
        self.ready.set()

    def _on_disconnect(self, *_: Any) -> None:
        self.disconnects += 1

    async def connect(self, slots: asyncio.Semaphore) -> None:
        async with slots:
            try:
                await self.sio.connect(
                    self.url, auth={"token": self.token}, transports=["websocket"], wait_timeout=CONNECT_TIMEOUT
                )
                await asyncio.wait_for(self.ready.wait(), CONNECT_TIMEOUT)
            except Exception as exc:  # reported per client; the others go on
                self.error = repr(exc)[:300]

    def result(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "ready": self.ready_data,
            "events": self.events,
            "late": self.late,
            "reloads": self.reloads,
            "error": self.error,
            "disconnects": self.disconnects,
        }


async def _watch_lag(lags: list[float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(LAG_TICK)
        lags.append(loop.time() - before - LAG_TICK)


async def _report(consoles: list[Console], stop: asyncio.Event) -> None:
    while not stop.is_set():
        print(f"COUNT {sum(len(console.events) for console in consoles)}", flush=True)
        await asyncio.sleep(0.2)


async def run(spec: dict[str, Any], result_path: str) -> None:
    consoles = [Console(item["index"], item["url"], item["token"]) for item in spec["clients"]]
    slots = asyncio.Semaphore(CONNECTS_IN_FLIGHT)
    started = time.monotonic()
    await asyncio.gather(*(console.connect(slots) for console in consoles))
    connect_seconds = time.monotonic() - started
    failed = sum(1 for console in consoles if console.error is not None)
    print(f"READY {len(consoles) - failed} {failed}", flush=True)
    stop = asyncio.Event()
    lags: list[float] = []
    cpu = time.process_time()
    wall = time.monotonic()
    tasks = [asyncio.create_task(_watch_lag(lags, stop)), asyncio.create_task(_report(consoles, stop))]
    loop = asyncio.get_running_loop()
    while (await loop.run_in_executor(None, sys.stdin.readline)).strip() not in ("STOP", ""):
        pass
    stop.set()
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    await asyncio.gather(*tasks)
    document = {
        "connect_seconds": connect_seconds,
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "loop_lag": lags,
        "clients": [console.result() for console in consoles],
    }
    with open(result_path, "w", encoding="utf-8") as out:
        json.dump(document, out)
    await asyncio.wait_for(
        asyncio.gather(*(console.sio.disconnect() for console in consoles), return_exceptions=True), 10
    )


def main() -> None:
    spec_path, result_path = sys.argv[1], sys.argv[2]
    with open(spec_path, encoding="utf-8") as spec_file:
        spec = json.load(spec_file)
    with contextlib.suppress(TimeoutError):  # the result is written; closing the sockets is not measured
        asyncio.run(run(spec, result_path))
    print("DONE", flush=True)


if __name__ == "__main__":
    main()

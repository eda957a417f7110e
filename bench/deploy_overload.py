"""Overload through the shipped deployment: `python -m bench.deploy_overload [--seconds 15] [--compare]`.

config/deploy's nginx (plain variant) in front of two web processes started from the shipped unit (200 threads,
the environment file's gate), PostgreSQL. Capacity is measured first: intakes in a closed loop (16 clients).
Then intakes are offered open-loop at 1x, 2x and 4x that capacity: each POST starts at its scheduled moment
whatever the server does, on a fresh connection, from a lean asyncio client (raw HTTP/1.1, no client library),
whose own CPU and lateness against the schedule are recorded so the offered load is known to be the one
offered. Per level: accepted cases/s, p50/p99 of the accepted, 503s (+ Retry-After) from the app and from
nginx and how fast, other failures, and the CPU seconds of the client, the web processes, nginx and PostgreSQL
against the machine's. `--compare` runs 4x again without the queue-time bound (HOTLINE_WRITE_MAX_QUEUE_SECONDS
3600): the gate of 8 writes alone, as before. Writes bench/results/deploy-overload[-LABEL].json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench.database import create_agent, make_database
from bench.measure import NamedCpu, machine, percentile, summary_ms, system_busy_seconds, tree_cpu_seconds
from bench.report import RESULTS_DIR
from tests.deploy.stack import Stack
from tests.factories import DISPATCH

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/hotline_bench_overload")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
TIMEOUT = 30.0
NGINX_BUSY = b"/ The system is busy"  # nginx's own 503 body carries both languages; the app's one


def request_bytes(port: int, token: str) -> bytes:
    body = json.dumps(DISPATCH, ensure_ascii=False).encode()
    head = (
        f"POST /api/v1/cases HTTP/1.1\r\nHost: localhost:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def stamped(payload: bytes) -> bytes:
    """The request as nginx passes it on: stamped with the moment it was accepted (X-Request-Start)."""
    return payload.replace(b"\r\n", f"\r\nX-Request-Start: t={time.time():.3f}\r\n".encode(), 1)


async def post(port: int, payload: bytes, stamp: bool = False) -> tuple[str, float]:
    """One intake on its own connection: (outcome, seconds). Outcome: the status, '503 nginx', or the error."""
    began = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)
        writer.write(stamped(payload) if stamp else payload)
        answer = await asyncio.wait_for(reader.read(-1), TIMEOUT)
        writer.close()
    except (OSError, TimeoutError) as exc:
        return type(exc).__name__, time.monotonic() - began
    elapsed = time.monotonic() - began
    parts = answer.split(b" ", 2)
    status = parts[1].decode() if len(parts) > 1 else "empty"
    if status == "503":
        if b"\r\nretry-after:" not in answer.lower():
            status = "503 without Retry-After"
        elif NGINX_BUSY in answer:
            status = "503 nginx"
    return status, elapsed


async def closed_loop(port: int, payload: bytes, clients: int, seconds: float, stamp: bool = False) -> float:
    done = 0
    end = time.monotonic() + seconds

    async def one() -> None:
        nonlocal done
        while time.monotonic() < end:
            status, _ = await post(port, payload, stamp)
            done += status == "201"

    await asyncio.gather(*(one() for _ in range(clients)))
    return done / seconds


async def open_loop(port: int, payload: bytes, rate: float, seconds: float, stamp: bool = False) -> dict[str, Any]:
    count = int(rate * seconds)
    start = time.monotonic() + 0.1
    lateness: list[float] = []
    tasks: list[asyncio.Task[tuple[str, float]]] = []
    for index in range(count):
        due = start + index / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        lateness.append(max(0.0, time.monotonic() - due))
        tasks.append(asyncio.create_task(post(port, payload, stamp)))
    sent = time.monotonic() - start
    outcomes = await asyncio.gather(*tasks)
    wall = time.monotonic() - start
    accepted = [seconds for kind, seconds in outcomes if kind == "201"]
    refused = [seconds for kind, seconds in outcomes if kind == "503"]
    refused_nginx = [seconds for kind, seconds in outcomes if kind == "503 nginx"]
    return {
        "offered_per_second": round(rate, 1),
        "offered": count,
        "sent_per_second": round(count / sent, 1),
        "send_lateness_p99_ms": round(percentile(lateness, 0.99) * 1000, 1),
        # Accepted per second of the offering window: the throughput while the overload lasted.
        "accepted_per_second": round(len(accepted) / seconds, 1),
        "accepted": summary_ms(accepted),
        "refused_503_app": summary_ms(refused),
        "refused_503_nginx": summary_ms(refused_nginx),
        "outcomes": dict(Counter(kind for kind, _ in outcomes)),
        "wall_seconds": round(wall, 1),
    }


class CpuMeter:
    """CPU seconds over a level: this client, the web processes, nginx, PostgreSQL, and the whole machine."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.web = {name: tree_cpu_seconds(p.pid) for name, p in stack.processes.items() if name.startswith("web")}
        self.client = resource.getrusage(resource.RUSAGE_SELF)
        self.postgres, self.nginx = NamedCpu("postgres"), NamedCpu("nginx")
        self.busy, self.began = system_busy_seconds(), time.monotonic()

    def read(self) -> dict[str, float]:
        client = resource.getrusage(resource.RUSAGE_SELF)
        wall = time.monotonic() - self.began
        web = sum(tree_cpu_seconds(self.stack.processes[name].pid) - cpu for name, cpu in self.web.items())
        return {
            "wall": round(wall, 1),
            "client": round(client.ru_utime + client.ru_stime - self.client.ru_utime - self.client.ru_stime, 2),
            "web_processes": round(web, 2),
            "nginx": round(self.nginx.used(), 2),
            "postgres": round(self.postgres.used(), 2),
            "machine_busy": round(system_busy_seconds() - self.busy, 2),
            "machine_available": round(wall * (os.cpu_count() or 1), 1),
        }


def level(stack: Stack, port: int, payload: bytes, rate: float, seconds: float, stamp: bool) -> dict[str, Any]:
    meter = CpuMeter(stack)
    result = asyncio.run(open_loop(port, payload, rate, seconds, stamp))
    return {**result, "cpu_seconds": meter.read()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each level")
    parser.add_argument("--factors", default="1,2,4")
    parser.add_argument("--clients", type=int, default=16, help="closed-loop clients measuring capacity")
    parser.add_argument("--compare", action="store_true", help="also 4x without the queue-time bound")
    parser.add_argument("--label", default="", help="written to deploy-overload[-LABEL].json")
    parser.add_argument(
        "--direct",
        action="store_true",
        help="straight to one web process, no nginx in front (no limit_conn), each request stamped X-Request-Start "
        "by the client as nginx would",
    )
    options = parser.parse_args()
    load_before = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="bench-overload-"))
    database = make_database("postgresql", workdir / "db", PG_URL)
    _user, token = create_agent(database)
    url = make_url(database.url).set(drivername="postgresql").render_as_string(hide_password=False)
    stack = Stack(directory=workdir, database_url=url, redis_url=REDIS_URL, threads=200, max_conns=180)
    port, stamp = (stack.web_ports[0], True) if options.direct else (stack.http_port, False)
    payload = request_bytes(port, token)
    runs: list[dict[str, Any]] = []
    try:
        stack.start_web(*((1,) if options.direct else (1, 2)))
        if not options.direct:
            stack.start_nginx("plain")
        asyncio.run(closed_loop(port, payload, options.clients, 3, stamp))  # warm up
        meter = CpuMeter(stack)
        capacity = asyncio.run(closed_loop(port, payload, options.clients, options.seconds, stamp))
        capacity_cpu = meter.read()
        print(f"capacity {capacity:.1f} cases/s (closed loop, {options.clients} clients) cpu {capacity_cpu}")
        for factor in [float(x) for x in options.factors.split(",")]:
            runs.append({"factor": factor, **level(stack, port, payload, capacity * factor, options.seconds, stamp)})
            print(json.dumps(runs[-1], ensure_ascii=False))
            time.sleep(3)
        if options.compare:
            stack.extra_env["HOTLINE_WRITE_MAX_QUEUE_SECONDS"] = "3600"
            numbers = (1,) if options.direct else (1, 2)
            for number in numbers:
                stack.kill(f"web-{number}")
            stack.start_web(*numbers)
            asyncio.run(closed_loop(port, payload, options.clients, 3, stamp))
            off = level(stack, port, payload, capacity * 4, options.seconds, stamp)
            runs.append({"factor": 4.0, "queue_bound": "off", **off})
            print(json.dumps(runs[-1], ensure_ascii=False))
    finally:
        stack.stop()
    result = {
        "benchmark": "deploy_overload",
        "options": vars(options),
        "machine": machine(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "shape": (
            "1 web process, no nginx, requests stamped by the client"
            if options.direct
            else "nginx (plain, limit_conn 64 API writes) + 2 web processes"
        )
        + " (gunicorn -w 1 --threads 200 from the shipped unit), gate 8 writes, queue bound 0.5 s",
        "capacity_cases_per_second": round(capacity, 1),
        "capacity_cpu_seconds": capacity_cpu,
        "runs": runs,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    name = f"deploy-overload-{options.label}.json" if options.label else "deploy-overload.json"
    (RESULTS_DIR / name).write_text(json.dumps(result, ensure_ascii=False, indent=2), "utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

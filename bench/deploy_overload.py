"""Overload: `python -m bench.deploy_overload [--seconds 15]`.

One web process as deployed (gunicorn -w 1 --threads 100, PostgreSQL), intake POSTs offered open-loop (each at
its scheduled moment, whatever the server does) at 1x, 2x and 4x the capacity measured first (closed loop,
8 clients). Per level: accepted cases/s, p50/p99 of the accepted, how many were refused 503 (+ Retry-After)
and how fast, and other failures. `--no-gate` runs the 4x level again with the write gate opened wide
(HOTLINE_WRITE_CONCURRENCY=1000), as before it existed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench.database import create_agent, make_database
from bench.measure import latency_ms, machine
from bench.report import RESULTS_DIR
from config.settings import PROJECT_ROOT
from tests.factories import DISPATCH

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/hotline_bench_overload")
PORT = int(os.environ.get("BENCH_PORT", "5791"))


def start_server(env: dict[str, str], gate: int, wait: float = 0.25) -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).parent / "gunicorn"), "-w", "1", "--threads", "100"]
    command += ["--bind", f"127.0.0.1:{PORT}", "wsgi:app"]
    server_env = {**os.environ, **env, "HOTLINE_WRITE_CONCURRENCY": str(gate), "PYTHONUNBUFFERED": "1"}
    server_env["HOTLINE_WRITE_WAIT_SECONDS"] = str(wait)
    log = (Path(tempfile.gettempdir()) / "bench-overload-server.log").open("wb")
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=server_env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{PORT}/api/v1/openapi.json", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


async def closed_loop(token: str, clients: int, seconds: float) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    done = 0
    end = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=30) as client:

        async def one() -> None:
            nonlocal done
            while time.monotonic() < end:
                response = await client.post("/api/v1/cases", json=DISPATCH, headers=headers)
                done += response.status_code == 201

        await asyncio.gather(*(one() for _ in range(clients)))
    return done / seconds


async def open_loop(token: str, rate: float, seconds: float) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    outcomes: list[tuple[str, float]] = []
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=30, limits=limits) as client:

        async def one(due: float) -> None:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            began = time.monotonic()
            try:
                response = await client.post("/api/v1/cases", json=DISPATCH, headers=headers)
                kind = str(response.status_code)
                if response.status_code == 503 and response.headers.get("Retry-After") is None:
                    kind = "503 without Retry-After"
            except httpx.HTTPError as exc:
                kind = type(exc).__name__
            outcomes.append((kind, time.monotonic() - began))

        start = time.monotonic() + 0.2
        count = int(rate * seconds)
        await asyncio.gather(*(one(start + index / rate) for index in range(count)))
        wall = time.monotonic() - start
    accepted = [latency for kind, latency in outcomes if kind == "201"]
    refused = [latency for kind, latency in outcomes if kind == "503"]
    return {
        "offered_per_second": round(rate, 1),
        "offered": len(outcomes),
        "accepted_per_second": round(len(accepted) / wall, 1),
        "accepted": latency_ms(accepted),
        "refused_503": latency_ms(refused),
        "outcomes": dict(Counter(kind for kind, _ in outcomes)),
        "wall_seconds": round(wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--no-gate", action="store_true", help="also 4x with the gate opened wide")
    parser.add_argument("--gate", type=int, default=8, help="HOTLINE_WRITE_CONCURRENCY")
    parser.add_argument("--wait", type=float, default=0.25, help="HOTLINE_WRITE_WAIT_SECONDS")
    parser.add_argument("--factors", default="1,2,4")
    parser.add_argument("--label", default="", help="written to deploy-overload[-LABEL].json")
    options = parser.parse_args()
    load_before = os.getloadavg()
    database = make_database("postgresql", Path(tempfile.mkdtemp()), PG_URL)
    _user, token = create_agent(database)
    env = database.server_env()
    runs: list[dict[str, Any]] = []
    server = start_server(env, gate=options.gate, wait=options.wait)
    try:
        capacity = asyncio.run(closed_loop(token, 8, options.seconds))
        for factor in [float(x) for x in options.factors.split(",")]:
            level = asyncio.run(open_loop(token, capacity * factor, options.seconds))
            runs.append({"factor": factor, "gate": options.gate, "wait": options.wait, **level})
            time.sleep(2)
    finally:
        server.terminate()
        server.wait(timeout=20)
    if options.no_gate:
        server = start_server(env, gate=1000)
        try:
            runs.append({"factor": 4, "gate": 1000, **asyncio.run(open_loop(token, capacity * 4, options.seconds))})
        finally:
            server.terminate()
            server.wait(timeout=20)
    result = {
        "benchmark": "deploy_overload",
        "options": vars(options),
        "machine": machine(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "capacity_cases_per_second_closed_loop_8_clients": round(capacity, 1),
        "runs": runs,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    name = f"deploy-overload-{options.label}.json" if options.label else "deploy-overload.json"
    (RESULTS_DIR / name).write_text(json.dumps(result, ensure_ascii=False, indent=2), "utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

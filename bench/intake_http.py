"""Intake over HTTP, measured the way issue 16 asks: `python -m bench.intake_http --database postgresql`.

One command: a fresh migrated, seeded database; the round trips of an intake counted in-process (the same app,
Flask's test client, bench/roundtrips.py); gunicorn started on it; wrk posting the project's own generated bodies
from 16 connections (bench/intake_wrk.lua) with the server's CPU per intake; pgbench replaying the same writes in
the same round trips beside it (bench/intake_pgbench.sql, PostgreSQL); then one client in sequence, over HTTP and
with bare Core (bench/intake.py's floor). Results: bench/results/intake_http.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from app.reference import freshness
from app.reference.cache import reference_cache
from bench.database import BenchDatabase, create_agent, load_reference, make_database, server_version
from bench.datagen import intake_bodies
from bench.intake import Server, _core_values, _threaded_writes
from bench.measure import NamedCpu, code_version, cores_used, machine, ms_per_item, summary_ms, tree_cpu_seconds
from bench.roundtrips import RoundTrips
from config.settings import PROJECT_ROOT
from tests.deploy.stack import Stack

RESULTS = PROJECT_ROOT / "bench" / "results"
GUNICORN = Path(sys.executable).parent / "gunicorn"
WRK_SCRIPT = PROJECT_ROOT / "bench" / "intake_wrk.lua"
PGBENCH_SCRIPT = PROJECT_ROOT / "bench" / "intake_pgbench.sql"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/hotline_bench_intake"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.intake_http", description=__doc__)
    parser.add_argument("--database", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument("--port", type=int, default=5150)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (and pgbench clients)")
    parser.add_argument("--seconds", type=int, default=20, help="each wrk and pgbench run")
    parser.add_argument("--sequential", type=int, default=400, help="intakes posted one at a time")
    parser.add_argument("--counted", type=int, default=50, help="intakes whose round trips are counted")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench-intake-http")
    parser.add_argument(
        "--no-deployed",
        dest="deployed",
        action="store_false",
        help="skip the second PostgreSQL run through the shipped deployment (nginx + two web units)",
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    return parser


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- Round trips, in-process -----------------------------------------------------------------


def count_round_trips(
    database: BenchDatabase, token: str, bodies: list[dict[str, Any]], counted: int
) -> dict[str, Any]:
    """Intakes through the real app (test client), after a warm-up; what each said to the database."""
    counter = RoundTrips()
    try:
        app = database.app()
        # The caches' clocks stopped: the count is of intakes, not of how long the machine took over them. Left
        # out so: the generation read (at most once a second per process, BEGIN + SELECT + COMMIT when it falls
        # outside the intake's transaction) and the reference snapshot's reload every 30 s.
        app.extensions[freshness.EXTENSION].clock = _stopped_clock
        reference_cache.clock = _stopped_clock
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        for body in bodies[-200:]:  # every agency's roster and the calendar cached, as in steady state
            assert client.post("/api/v1/cases", json=body, headers=headers).status_code == 201
        with counter.counting():
            for body in bodies[:counted]:
                response = client.post("/api/v1/cases", json=body, headers=headers)
                assert response.status_code == 201, response.get_data(as_text=True)
        per_intake = counter.per_item(counted)
        statements = list(counter.statements)
    finally:
        counter.close()
    return {
        "intakes": counted,
        "caches": "clocks stopped while counting: no generation read (<= 1/s/process), no 30 s snapshot reload",
        "per_intake": per_intake,
        "statements_of_50_intakes": _distinct(statements),
    }


def _stopped_clock() -> float:
    return 0.0


def _distinct(statements: list[str]) -> dict[str, int]:
    seen: dict[str, int] = {}
    for statement in statements:
        key = re.sub(r"\s+", " ", statement)[:100]
        seen[key] = seen.get(key, 0) + 1
    return seen


# --- The server and wrk ----------------------------------------------------------------------


class Deployed:
    """The production shape README documents: config/deploy's nginx (plain HTTP variant) spreading API requests
    by request id over two web processes started from the shipped unit (gunicorn, one worker each)."""

    def __init__(self, database: BenchDatabase, workdir: Path, redis_url: str, threads: int) -> None:
        url = make_url(database.url).set(drivername="postgresql").render_as_string(hide_password=False)
        workdir.mkdir(parents=True, exist_ok=True)
        self.stack = Stack(directory=workdir, database_url=url, redis_url=redis_url, threads=threads + 4)
        self.stack.max_conns = threads
        self.base_url = f"http://127.0.0.1:{self.stack.http_port}"
        self.stack.start_web(1, 2)
        self.stack.start_nginx("plain")

    def cpu_seconds(self) -> float:
        """The web processes' and nginx's together: what the deployment spends serving."""
        web = sum(tree_cpu_seconds(process.pid) for name, process in self.stack.processes.items() if name != "nginx")
        return web + tree_cpu_seconds(self.stack.processes["nginx"].pid)

    def stop(self) -> None:
        self.stack.stop()


def run_wrk(server: Server | Deployed, body_file: Path, token: str, connections: int, seconds: int) -> dict[str, Any]:
    env = {**os.environ, "INTAKE_BODIES": str(body_file), "INTAKE_TOKEN": token}
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", str(WRK_SCRIPT)]
    cpu, postgres = server.cpu_seconds(), NamedCpu("postgres")
    output = subprocess.run([*command, server.base_url], env=env, capture_output=True, text=True, check=True).stdout
    cpu = server.cpu_seconds() - cpu
    pg_cpu = postgres.used()
    figures = json.loads(output.split("WRK_JSON ", 1)[1].splitlines()[0])
    wall = figures["duration_us"] / 1e6
    created = figures["requests"] - figures["non_2xx"]
    return {
        "connections": connections,
        "seconds": round(wall, 1),
        "requests": figures["requests"],
        "non_2xx": figures["non_2xx"],
        "socket_errors": figures["socket_errors"],
        "cases_per_s": round(created / wall, 1),
        "latency": {key: round(figures[f"{key}_us"] / 1000, 1) for key in ("p50", "p90", "p99", "max", "mean")},
        "server_cpu_ms_per_case": ms_per_item(cpu, created),
        "server_cores": cores_used(cpu, wall),
        "postgres_cpu_ms_per_case": ms_per_item(pg_cpu, created),
    }


def run_pgbench(database: BenchDatabase, connections: int, seconds: int) -> dict[str, Any]:
    """The same writes in the same round trips (bench/intake_pgbench.sql), from pgbench's C clients, on the same
    database."""
    reference = load_reference(database.engine())
    category = reference.category("illegal_parking")
    district = reference.districts[0]
    agency = reference.agency_for(category, district) or next(iter(reference.agencies.values()))
    url = make_url(database.url)
    command = [
        "pgbench",
        "-n",
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
    ]
    command += ["-c", str(connections), "-j", "2", "-T", str(seconds), "-f", str(PGBENCH_SCRIPT)]
    command += ["-D", "agent=1", "-D", f"category={category.id}", "-D", f"district={district.id}"]
    command += ["-D", f"agency={agency}", str(url.database)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    tps = float(re.search(r"tps = ([\d.]+)", output).group(1))  # type: ignore[union-attr]
    average = float(re.search(r"latency average = ([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return {"clients": connections, "seconds": seconds, "cases_per_s": round(tps, 1), "latency_mean_ms": average}


def run_sequential(server: Server, token: str, bodies: list[dict[str, Any]]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "zh-TW"}
    seconds: list[float] = []
    cpu = server.cpu_seconds()
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
        for body in bodies[:20]:
            client.post("/api/v1/cases", json=body)
        cpu = server.cpu_seconds()
        for body in bodies[20:]:
            started = time.perf_counter()
            response = client.post("/api/v1/cases", json=body)
            seconds.append(time.perf_counter() - started)
            assert response.status_code == 201, response.text
    cpu = server.cpu_seconds() - cpu
    wall = sum(seconds)
    return {
        "intakes": len(seconds),
        "cases_per_s": round(len(seconds) / wall, 1),
        "latency": summary_ms(seconds),
        "server_cpu_ms_per_case": ms_per_item(cpu, len(seconds)),
    }


def run_core_sequential(database: BenchDatabase, agent_id: int, bodies: list[dict[str, Any]]) -> dict[str, Any]:
    engine = database.engine(pool_size=1, max_overflow=0)
    try:
        prepared = _core_values(bodies, load_reference(engine), agent_id)
        _threaded_writes(engine, prepared[:20], 1, database.kind)
        wall, latencies = _threaded_writes(engine, prepared[20:], 1, database.kind)
    finally:
        engine.dispose()
    return {"intakes": len(latencies), "cases_per_s": round(len(latencies) / wall, 1), "latency": summary_ms(latencies)}


def run_deployed(
    database: BenchDatabase, workdir: Path, body_file: Path, token: str, options: argparse.Namespace
) -> dict[str, Any]:
    """wrk through nginx to two web processes of `threads` threads each, and pgbench again beside it."""
    deployed = Deployed(database, workdir, options.redis_url, options.threads)
    try:
        run_wrk(deployed, body_file, token, options.connections, 3)  # warm both processes
        http = run_wrk(deployed, body_file, token, options.connections, options.seconds)
    finally:
        deployed.stop()
    pgbench = run_pgbench(database, options.connections, options.seconds)
    print(
        f"[deployed] HTTP {http['cases_per_s']} cases/s, p99 {http['latency']['p99']} ms, "
        f"{http['server_cpu_ms_per_case']} ms web+nginx CPU per case, non-2xx {http['non_2xx']}; "
        f"pgbench {pgbench['cases_per_s']}",
        flush=True,
    )
    return {
        "serving": f"nginx (plain) + 2 web units x {options.threads} threads (gunicorn -w 1, config/deploy)",
        "http": http,
        "pgbench": pgbench,
        "ratio_to_pgbench": round(http["cases_per_s"] / pgbench["cases_per_s"], 2),
    }


# --- One backend -----------------------------------------------------------------------------


def run_backend(kind: str, options: argparse.Namespace) -> dict[str, Any]:
    workdir = options.workdir / kind
    shutil.rmtree(workdir, ignore_errors=True)  # a fresh SQLite file too
    workdir.mkdir(parents=True)
    bodies = intake_bodies(2000, seed=1999)
    body_file = workdir / "bodies.jsonl"
    print(f"[{kind}] fresh database, load average {_load_average()}", flush=True)
    database = make_database(kind, workdir, options.pg_url)
    agent_id, token = create_agent(database)
    body_file.write_text("".join(json.dumps(body, ensure_ascii=False) + "\n" for body in bodies))
    result: dict[str, Any] = {"server_version": server_version(database), "load_average_before": _load_average()}
    result["round_trips"] = count_round_trips(database, token, bodies, options.counted)
    print(f"[{kind}] per intake: {result['round_trips']['per_intake']}", flush=True)
    server = Server(database, workers=options.workers, threads=options.threads, port=options.port)
    server.wait_ready()
    try:
        result["serving"] = f"gunicorn {options.workers} worker(s) x {options.threads} threads"
        run_wrk(server, body_file, token, options.connections, 3)  # warm every worker and thread
        result["http"] = run_wrk(server, body_file, token, options.connections, options.seconds)
        http = result["http"]
        print(
            f"[{kind}] HTTP {http['cases_per_s']} cases/s, p99 {http['latency']['p99']} ms, "
            f"{http['server_cpu_ms_per_case']} ms server CPU per case, non-2xx {http['non_2xx']}",
            flush=True,
        )
        if kind == "postgresql":
            result["pgbench"] = run_pgbench(database, options.connections, options.seconds)
            result["ratio_to_pgbench"] = round(http["cases_per_s"] / result["pgbench"]["cases_per_s"], 2)
            print(
                f"[{kind}] pgbench {result['pgbench']['cases_per_s']} cases/s; ours {result['ratio_to_pgbench']} of it",
                flush=True,
            )
        result["sequential_http"] = run_sequential(server, token, bodies[: options.sequential + 20])
    finally:
        server.stop()
    if kind == "postgresql" and options.deployed:
        result["deployed"] = run_deployed(database, workdir / "deployed", body_file, token, options)
    result["sequential_core"] = run_core_sequential(database, agent_id, bodies[: options.sequential + 20])
    print(
        f"[{kind}] sequential HTTP p50 {result['sequential_http']['latency']['p50_ms']} ms, "
        f"bare Core p50 {result['sequential_core']['latency']['p50_ms']} ms",
        flush=True,
    )
    result["load_average_after"] = _load_average()
    return result


def markdown(document: dict[str, Any]) -> str:
    lines = [
        "# Intake over HTTP (issue 16)",
        "",
        f"`{document['command']}` at {document['started']}, "
        f"{document['machine']['cpus']} CPUs, code {document['code'].get('commit', '?')}.",
        "",
    ]
    for kind, result in document["backends"].items():
        trips = result["round_trips"]["per_intake"]
        http = result["http"]
        lines += [
            f"## {kind} ({result['server_version']}), {result['serving']}",
            "",
            f"Load average before {result['load_average_before']}, after {result['load_average_after']}.",
            "",
            "| what | figure |",
            "|---|---:|",
            f"| HTTP cases/s ({http['connections']} connections, wrk) | {http['cases_per_s']} |",
            f"| HTTP p50 / p99 ms | {http['latency']['p50']} / {http['latency']['p99']} |",
            f"| non-2xx | {http['non_2xx']} |",
            f"| server CPU ms per case | {http['server_cpu_ms_per_case']} |",
        ]
        if "pgbench" in result:
            lines += [
                f"| pgbench replay cases/s | {result['pgbench']['cases_per_s']} |",
                f"| ours / pgbench | {result['ratio_to_pgbench']} |",
                f"| PostgreSQL CPU ms per case (HTTP run) | {http['postgres_cpu_ms_per_case']} |",
            ]
        lines += [
            f"| sequential HTTP p50 ms | {result['sequential_http']['latency']['p50_ms']} |",
            f"| sequential bare Core p50 ms | {result['sequential_core']['latency']['p50_ms']} |",
            f"| sequential server CPU ms per case | {result['sequential_http']['server_cpu_ms_per_case']} |",
        ]
        lines += [f"| {name.replace('_', ' ')} per intake | {value} |" for name, value in trips.items()]
        if "deployed" in result:
            deployed = result["deployed"]
            through = deployed["http"]
            lines += [
                "",
                f"Through the shipped deployment: {deployed['serving']}.",
                "",
                "| what | figure |",
                "|---|---:|",
                f"| HTTP cases/s ({through['connections']} connections, wrk) | {through['cases_per_s']} |",
                f"| HTTP p50 / p99 ms | {through['latency']['p50']} / {through['latency']['p99']} |",
                f"| non-2xx | {through['non_2xx']} |",
                f"| web processes + nginx CPU ms per case | {through['server_cpu_ms_per_case']} |",
                f"| pgbench replay cases/s (run after it) | {deployed['pgbench']['cases_per_s']} |",
                f"| ours / pgbench | {deployed['ratio_to_pgbench']} |",
            ]
        lines += ["", f"Statements of the counted intakes ({result['round_trips']['caches']}):", ""]
        lines += [f"- {count}x `{text}`" for text, count in result["round_trips"]["statements_of_50_intakes"].items()]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    options = _parser().parse_args(argv)
    kinds = ("postgresql", "sqlite") if options.database == "both" else (options.database,)
    document: dict[str, Any] = {
        "command": "python -m bench.intake_http " + " ".join(argv if argv is not None else sys.argv[1:]),
        "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "machine": machine(),
        "code": code_version(),
        "backends": {kind: run_backend(kind, options) for kind in kinds},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "intake_http.json").write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    (RESULTS / "intake_http.md").write_text(markdown(document))
    print(f"wrote {RESULTS / 'intake_http.md'}")


if __name__ == "__main__":
    main()

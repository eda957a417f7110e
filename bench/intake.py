"""Intake throughput: POST /api/v1/cases to a real gunicorn server, then the same writes with bare SQLAlchemy Core."""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, insert, text
from sqlalchemy.dialects import postgresql, sqlite

from app import phones
from app.cases import numbers
from app.cases.textgrams import short_grams
from app.models import Case, CaseEvent, CaseNumberCounter
from bench.database import TZ, BenchDatabase, Reference, create_agent, load_reference, make_database, server_version
from bench.datagen import intake_bodies
from bench.measure import (
    NamedCpu,
    cores_used,
    ms_per_item,
    summary_ms,
    system_busy_seconds,
    tree_cpu_seconds,
)
from config.settings import PROJECT_ROOT

GUNICORN = Path(sys.executable).parent / "gunicorn"


@dataclass(frozen=True)
class IntakeOptions:
    requests: int = 3000
    warmup: int = 200
    concurrency: int = 16
    workers: int = 1
    threads: int = 8
    seed: int = 1999


# --- The server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """gunicorn serving wsgi:app on the benchmark database, started and stopped by us."""

    def __init__(
        self,
        database: BenchDatabase,
        *,
        workers: int,
        threads: int,
        port: int | None = None,
        app_dir: Path = PROJECT_ROOT,
    ) -> None:
        """`port` fixed or free; `app_dir` another checkout to serve (an older commit, for a before/after)."""
        self.database = database
        self.port = port or _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = database.workdir / f"gunicorn-{self.port}.log"
        command = [
            str(GUNICORN),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--chdir",
            str(app_dir),
            "--log-level",
            "warning",
            "--error-logfile",
            str(self.log_path),
            "wsgi:app",
        ]
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=app_dir,
            env={**os.environ, **database.server_env()},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.base_url}/api/v1/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s; see {self.log_path}")

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# --- HTTP load -------------------------------------------------------------------------------


Body = dict[str, Any]


async def _post_all(base_url: str, token: str, bodies: list[Body], concurrency: int) -> list[tuple[int, float, str]]:
    """POST every body with `concurrency` requests in flight; (status, seconds, error text) per request."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "zh-TW"}
    results: list[tuple[int, float, str]] = [(0, 0.0, "")] * len(bodies)
    pending = iter(enumerate(bodies))
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=60) as client:

        async def worker() -> None:
            for index, body in pending:
                started = time.perf_counter()
                try:
                    response = await client.post("/api/v1/cases", json=body)
                    status, error = response.status_code, "" if response.status_code == 201 else response.text[:300]
                except httpx.HTTPError as exc:
                    status, error = 0, repr(exc)
                results[index] = (status, time.perf_counter() - started, error)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


def _http_run(database: BenchDatabase, token: str, bodies: list[Body], options: IntakeOptions) -> dict[str, Any]:
    server = Server(database, workers=options.workers, threads=options.threads)
    try:
        server.wait_ready()
        warm = asyncio.run(_post_all(server.base_url, token, bodies[: options.warmup], options.concurrency))
        measured = bodies[options.warmup :]
        client_cpu, server_cpu, pg = time.process_time(), server.cpu_seconds(), NamedCpu("postgres")
        busy = system_busy_seconds()
        started = time.perf_counter()
        results = asyncio.run(_post_all(server.base_url, token, measured, options.concurrency))
        wall = time.perf_counter() - started
        busy = system_busy_seconds() - busy
        client_cpu = time.process_time() - client_cpu
        server_cpu = server.cpu_seconds() - server_cpu
        pg_cpu = pg.used() if database.kind == "postgresql" else 0.0
    finally:
        server.stop()
    failures: dict[str, int] = {}
    examples: list[str] = []
    for status, _seconds, error in warm + results:
        if status != 201:
            failures[str(status)] = failures.get(str(status), 0) + 1
            if len(examples) < 5:
                examples.append(f"{status}: {error}")
    cpu = {
        "client_cores": cores_used(client_cpu, wall),
        "server_cores": cores_used(server_cpu, wall),
        "server_cpu_ms_per_case": ms_per_item(server_cpu, len(measured)),
        "client_cpu_ms_per_case": ms_per_item(client_cpu, len(measured)),
        "other_processes_cores": cores_used(max(0.0, busy - client_cpu - server_cpu - pg_cpu), wall),
    }
    if database.kind == "postgresql":
        cpu["postgres_cores"] = cores_used(pg_cpu, wall)
        cpu["postgres_cpu_ms_per_case"] = ms_per_item(pg_cpu, len(measured))
    return {
        "server": f"gunicorn {options.workers} worker(s) x {options.threads} threads",
        "requests": len(measured),
        "warmup": options.warmup,
        "concurrency": options.concurrency,
        "seconds": round(wall, 2),
        "cases_per_s": round(len(measured) / wall, 1),
        "latency": summary_ms([seconds for _status, seconds, _error in results]),
        "non_201": sum(failures.values()),
        "non_201_by_status": failures,
        "non_201_examples": examples,
        "cpu": cpu,
    }


# --- The Core floor --------------------------------------------------------------------------


def _core_values(bodies: list[dict[str, Any]], reference: Reference, agent_id: int) -> list[dict[str, Any]]:
    """What open_case would write for each body, worked out before the clock starts."""
    districts = {row.code: row for row in reference.districts}
    prepared = []
    for body in bodies:
        category = reference.category(body["category"])
        district = districts.get(body.get("district") or "")
        agency_id = reference.agency_for(category, district)
        address = body.get("address")
        prepared.append(
            {
                "case": {
                    "case_type": category.case_type,
                    "channel": body["channel"],
                    "status": "assigned" if agency_id else "new",
                    "category_id": category.id,
                    "district_id": district.id if district else None,
                    "agency_id": agency_id,
                    "address": address,
                    "latitude": body.get("latitude"),
                    "longitude": body.get("longitude"),
                    "description": body["description"],
                    "reporter_name": body.get("reporter_name"),
                    "reporter_phone": phones.normalise(body["reporter_phone"]) if body.get("reporter_phone") else None,
                    "anonymous": body.get("anonymous", False),
                    "wants_sms_reply": body.get("wants_sms_reply", False),
                    "created_by_id": agent_id,
                    "version": 1,
                },
                "grams": short_grams(f"{body['description']} {address or ''}"),
                "agency_code": next((code for code, id_ in reference.agencies.items() if id_ == agency_id), None),
                "category_code": category.code,
            }
        )
    return prepared


def _write_one(connection: Connection, values: dict[str, Any], dialect: str, serial: Iterator[int] | None) -> None:
    """One case as open_case writes it: number, case row, grams, events — in one transaction.

    With `serial`, the number comes from a Python counter instead of the daily counter row,
    to show what that one hot row costs.
    """
    now = datetime.now(UTC)
    day = now.astimezone(TZ).date()
    upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CaseNumberCounter)
    counter = (
        upsert.values(day=day, last_seq=1)
        .on_conflict_do_update(
            index_elements=[CaseNumberCounter.day], set_={"last_seq": CaseNumberCounter.last_seq + 1}
        )
        .returning(CaseNumberCounter.last_seq)
    )
    with connection.begin():
        if serial is None:
            case_no = numbers.format_case_no(day, connection.execute(counter).scalar_one())
        else:
            case_no = f"9990101-{next(serial):06d}"
        row = {**values["case"], "case_no": case_no, "received_at": now, "created_at": now, "updated_at": now}
        if row["agency_id"]:
            row["assigned_at"] = now
        case_id = connection.execute(insert(Case.__table__).returning(Case.__table__.c.id), row).scalar_one()
        if dialect == "postgresql":
            connection.execute(
                text("INSERT INTO case_search_grams (case_id, grams) VALUES (:id, :grams)"),
                {"id": case_id, "grams": values["grams"]},
            )
        else:
            connection.execute(
                text("INSERT INTO case_grams (rowid, grams) VALUES (:id, :grams)"),
                {"id": case_id, "grams": " ".join(values["grams"])},
            )
        events = [
            {
                "case_id": case_id,
                "event_type": "case_created",
                "actor_id": row["created_by_id"],
                "occurred_at": now,
                "recorded_at": now,
                "payload": {"case_no": case_no, "category": values["category_code"]},
            }
        ]
        if values["agency_code"]:
            events.append(
                {
                    "case_id": case_id,
                    "event_type": "case_assigned",
                    "actor_id": row["created_by_id"],
                    "occurred_at": now,
                    "recorded_at": now,
                    "payload": {"agency": values["agency_code"]},
                }
            )
        connection.execute(insert(CaseEvent.__table__), events)


def _threaded_writes(
    engine: Engine, prepared: list[dict[str, Any]], concurrency: int, dialect: str, *, counter_row: bool = True
) -> tuple[float, list[float]]:
    pending = iter(prepared)
    serial = None if counter_row else itertools.count(1)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[BaseException] = []

    def worker() -> None:
        with engine.connect() as connection:
            connection.execution_options(sqlite_begin="IMMEDIATE")
            while True:
                with lock:
                    values = next(pending, None)
                if values is None:
                    return
                started = time.perf_counter()
                try:
                    _write_one(connection, values, dialect, serial)
                except BaseException as exc:  # report, do not hang the other threads
                    errors.append(exc)
                    return
                latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"Core floor failed: {errors[0]!r}") from errors[0]
    return wall, latencies


def _core_run(database: BenchDatabase, agent_id: int, bodies: list[Body], options: IntakeOptions) -> dict[str, Any]:
    engine = database.engine(pool_size=options.concurrency, max_overflow=0)
    try:
        prepared = _core_values(bodies, load_reference(engine), agent_id)
        _threaded_writes(engine, prepared[: options.warmup], options.concurrency, database.kind)
        measured = prepared[options.warmup :]
        client_cpu, pg, busy = time.process_time(), NamedCpu("postgres"), system_busy_seconds()
        wall, latencies = _threaded_writes(engine, measured, options.concurrency, database.kind)
        client_cpu = time.process_time() - client_cpu
        pg_cpu = pg.used() if database.kind == "postgresql" else 0.0
        busy = system_busy_seconds() - busy
        free_wall, free_latencies = _threaded_writes(
            engine, measured, options.concurrency, database.kind, counter_row=False
        )
    finally:
        engine.dispose()
    cpu = {
        "python_cores": cores_used(client_cpu, wall),
        "python_cpu_ms_per_case": ms_per_item(client_cpu, len(measured)),
        "other_processes_cores": cores_used(max(0.0, busy - client_cpu - pg_cpu), wall),
    }
    if database.kind == "postgresql":
        cpu["postgres_cores"] = cores_used(pg_cpu, wall)
        cpu["postgres_cpu_ms_per_case"] = ms_per_item(pg_cpu, len(measured))
    return {
        "writes": "counter upsert + cases row + grams row + 1-2 case_events rows, one transaction per case",
        "rows": len(measured),
        "threads": options.concurrency,
        "seconds": round(wall, 2),
        "rows_per_s": round(len(measured) / wall, 1),
        "latency": summary_ms(latencies),
        "cpu": cpu,
        "without_counter_row": {
            "writes": "the same, numbered from a Python counter instead of the case_number_counters row",
            "rows_per_s": round(len(measured) / free_wall, 1),
            "latency": summary_ms(free_latencies),
        },
    }


def run_intake(kind: str, workdir: Path, options: IntakeOptions, pg_http_url: str, pg_core_url: str) -> dict[str, Any]:
    """HTTP intake on a fresh database of `kind`, then the Core floor on another fresh one."""
    bodies = intake_bodies(options.warmup + options.requests, seed=options.seed)
    print(f"  [{kind}] migrate + seed, agent user", flush=True)
    database = make_database(kind, workdir / "http", pg_http_url)
    _agent_id, token = create_agent(database)
    version = server_version(database)
    print(
        f"  [{kind}] HTTP: {options.requests:,} POST /api/v1/cases after {options.warmup} warm-up, "
        f"{options.concurrency} concurrent, gunicorn {options.workers}x{options.threads}",
        flush=True,
    )
    http = _http_run(database, token, bodies, options)
    print(
        f"  [{kind}] HTTP: {http['cases_per_s']:,.0f} cases/s, p50 {http['latency']['p50_ms']} ms, "
        f"p99 {http['latency']['p99_ms']} ms, non-201: {http['non_201']}",
        flush=True,
    )
    floor_db = make_database(kind, workdir / "core", pg_core_url)
    agent_id, _token = create_agent(floor_db)
    print(f"  [{kind}] Core floor: {options.requests:,} cases from {options.concurrency} threads", flush=True)
    core = _core_run(floor_db, agent_id, bodies, options)
    ratio = round(http["cases_per_s"] / core["rows_per_s"], 2) if core["rows_per_s"] else None
    print(
        f"  [{kind}] Core: {core['rows_per_s']:,.0f} cases/s, p50 {core['latency']['p50_ms']} ms; HTTP/Core {ratio}; "
        f"without the counter row {core['without_counter_row']['rows_per_s']:,.0f} cases/s",
        flush=True,
    )
    return {"backend": kind, "database": version, "http": http, "core": core, "http_over_core": ratio}

"""Reading cases at a million: `GET /api/v1/cases?limit=50` (staff and agency) and one case with its events.

    .venv/bin/python -m bench.case_lists --database postgresql --cases 1000000
    .venv/bin/python -m bench.case_lists --database sqlite --cases 1000000

The database is `flask demo generate` data (a year ending today, so the newest cases are open with live
deadlines), seeded once and reused by later runs (bench/case_lists_data.py). A real gunicorn (1 worker ×
8 threads, on --port) serves it; one client sends the requests in turn over a kept-alive connection, so
the figures are latency, not throughput. Server CPU per request is read from /proc (the gunicorn tree;
on PostgreSQL also the postgres backends). Plans of the list statements are written beside the results.
Targets (issue 16): list p50 ≤ 8 ms for staff and agency, one case ≤ 3 ms (and its events ≤ 3 ms).
The SLA lists (`?sla=breached`, nearest deadline first) are measured beside them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from app.db import db
from app.models import Case, CaseEvent, User
from bench.case_lists_data import DEFAULT_PG_URL, DEFAULT_WORKDIR, bench_tokens, case_count, seeded_database
from bench.database import BenchDatabase, app_context, server_version
from bench.intake import Server
from bench.measure import code_version, latency_ms, machine, process_cpu_seconds
from bench.search import StatementCapture, _explain
from config.settings import PROJECT_ROOT

RESULTS = Path(__file__).resolve().parent / "results"
GUNICORN = Path(sys.executable).parent / "gunicorn"
TARGETS_MS = {"list": 8.0, "case": 3.0}


class BackendCpu:
    """CPU seconds of the PostgreSQL backends serving our database (not the other helpers' on the same server)."""

    def __init__(self, database: BenchDatabase) -> None:
        self.database = database
        self.start = self._snapshot() if database.kind == "postgresql" else {}

    def _snapshot(self) -> dict[int, float]:
        engine = self.database.engine()
        try:
            with engine.connect() as connection:
                pids = connection.exec_driver_sql(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).scalars()
                return {int(pid): process_cpu_seconds(int(pid)) for pid in pids}
        finally:
            engine.dispose()

    def used(self) -> float:
        if self.database.kind != "postgresql":
            return 0.0
        return sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self._snapshot().items())


def _timed(server: Server, token: str, paths: list[str], rounds: int) -> tuple[list[float], float, float, int]:
    """GET each path `rounds` times in turn on one kept-alive connection: seconds per request, CPU of both sides."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "zh-TW"}
    samples: list[float] = []
    postgres = BackendCpu(server.database)
    cpu_before, size = server.cpu_seconds(), 0
    for _ in range(rounds):
        for path in paths:
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            samples.append(time.perf_counter() - started)
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
            size = len(body)
    connection.close()
    return samples, server.cpu_seconds() - cpu_before, postgres.used(), size


def _cases_to_open(database: BenchDatabase, count: int, seed: int) -> list[str]:
    """Case numbers of the responder's agency spread over the whole table (not only the newest, cached pages)."""
    with app_context(database):
        session = db.session
        top = session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) or 0
        agency_id = session.scalar(select(User.agency_id).where(User.username == "bench-lists-agency"))
        rng, numbers = random.Random(seed), list[str]()
        while len(numbers) < count:
            start = rng.randint(1, top)
            case_no = session.scalar(
                select(Case.case_no).where(Case.id >= start, Case.agency_id == agency_id).order_by(Case.id).limit(1)
            )
            if case_no is not None:
                numbers.append(case_no)
        return numbers


def _events_per_case(database: BenchDatabase, numbers: list[str]) -> float:
    with app_context(database):
        ids = select(Case.id).where(Case.case_no.in_(numbers)).scalar_subquery()
        events = len(db.session.scalars(select(CaseEvent.id).where(CaseEvent.case_id.in_(ids))).all())
        return round(events / len(numbers), 1)


def _plans(database: BenchDatabase, tokens: dict[str, str], paths: dict[str, str]) -> str:
    """EXPLAIN of every statement each request sends, run in-process through the same app."""
    parts = []
    with app_context(database) as app:
        client = app.test_client()
        for name, path in paths.items():
            capture = StatementCapture()
            event.listen(db.engine, "before_cursor_execute", capture)
            try:
                client.get(path, headers={"Authorization": f"Bearer {tokens[name.split()[0]]}"})
            finally:
                event.remove(db.engine, "before_cursor_execute", capture)
            capture.statements = [s for s in capture.statements if "api_tokens" not in s[0]]
            parts.append(f"### {name}: GET {path}\n\n```\n{_explain(database.kind, capture)}\n```")
            db.session.rollback()
    return "\n\n".join(parts)


def run(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(args.workdir)
    database = seeded_database(kind, cases=args.cases, workdir=workdir, pg_url=args.pg_url)
    cases = case_count(database)
    staff_token, agency_token, agency_code = bench_tokens(database)
    tokens = {"staff": staff_token, "agency": agency_token}
    numbers = _cases_to_open(database, args.open_cases, args.seed)
    requests: dict[str, tuple[str, list[str]]] = {
        "staff list": ("staff", ["/api/v1/cases?limit=50"]),
        "agency list": ("agency", ["/api/v1/cases?limit=50"]),
        "staff breached list": ("staff", ["/api/v1/cases?sla=breached&limit=50"]),
        "agency breached list": ("agency", ["/api/v1/cases?sla=breached&limit=50"]),
        "staff one case": ("staff", [f"/api/v1/cases/{no}" for no in numbers]),
        "staff case events": ("staff", [f"/api/v1/cases/{no}/events" for no in numbers]),
        "agency one case": ("agency", [f"/api/v1/cases/{no}" for no in numbers]),
        "agency case events": ("agency", [f"/api/v1/cases/{no}/events" for no in numbers]),
    }
    server = Server(database, workers=args.workers, threads=args.threads, port=args.port, app_dir=Path(args.app_dir))
    load_before = os.getloadavg()
    measured: dict[str, Any] = {}
    try:
        server.wait_ready()
        for name, (who, paths) in requests.items():
            rounds = max(1, args.requests // len(paths))
            _timed(server, tokens[who], paths, max(1, rounds // 10))  # warm-up: caches, pool, plans
            samples, server_cpu, postgres_cpu, size = _timed(server, tokens[who], paths, rounds)
            per_request = 1000 / len(samples)
            measured[name] = {
                **latency_ms(samples),
                "server_cpu_ms_per_request": round(server_cpu * per_request, 2),
                "postgres_cpu_ms_per_request": round(postgres_cpu * per_request, 2) if kind == "postgresql" else None,
                "response_bytes": size,
            }
            print(f"  [{kind}] {name}: {measured[name]}", flush=True)
    finally:
        server.stop()
    plan_paths = {
        "staff list": "/api/v1/cases?limit=50",
        "agency list": "/api/v1/cases?limit=50",
        "agency breached list": "/api/v1/cases?sla=breached&limit=50",
        "staff one case": f"/api/v1/cases/{numbers[0]}",
        "staff case events": f"/api/v1/cases/{numbers[0]}/events",
    }
    if Path(args.app_dir).resolve() == PROJECT_ROOT.resolve():  # plans are of this code, run in-process
        (RESULTS / f"case_lists_plans_{kind}.md").write_text(
            f"# Plans of the case-list requests, {kind}, {cases:,} cases (`python -m bench.case_lists`)\n\n"
            + _plans(database, tokens, plan_paths) + "\n"
        )  # fmt: skip
    return {
        "backend": kind,
        "database": server_version(database),
        "cases": cases,
        "responder_agency": agency_code,
        "opened_cases": len(numbers),
        "events_per_opened_case": _events_per_case(database, numbers),
        "app_dir": args.app_dir,
        "server": f"gunicorn {args.workers} worker(s) x {args.threads} threads, port {args.port}, one client in turn",
        "load_average_before": [round(value, 2) for value in load_before],
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
        "requests": measured,
        "targets_ms": TARGETS_MS,
        "code": code_version(),
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }


def _markdown(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "# Reading cases at a million (`python -m bench.case_lists`)",
        "",
        "Over HTTP against gunicorn, one client in turn (latency, not throughput). CPU ms per request are the",
        "server's (the gunicorn tree) and PostgreSQL's (the backends of this database only). The machine is shared:",
        "read the CPU columns and the load average beside the wall times. Targets (issue 16): list p50 ≤ 8 ms,",
        "one case ≤ 3 ms.",
        "",
        "| backend | cases | request | n | p50 ms | p95 ms | p99 ms | server CPU ms | postgres CPU ms | bytes "
        "| load before |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for kind, result in results.items():
        load = " / ".join(str(value) for value in result["load_average_before"])
        for name, figures in result["requests"].items():
            postgres = figures["postgres_cpu_ms_per_request"]
            lines.append(
                f"| {kind} | {result['cases']:,} | {name} | {figures['n']} | {figures['p50_ms']} | {figures['p95_ms']} "
                f"| {figures['p99_ms']} | {figures['server_cpu_ms_per_request']} "
                f"| {postgres if postgres is not None else '—'} "
                f"| {figures['response_bytes']:,} | {load} |"
            )  # fmt: skip
    lines += [
        "",
        "Rows labelled `before (…)` are the same requests served by an export of an older commit",
        "(`--app-dir`, `--label`), measured in the same sitting on the same database: the ratio of the CPU columns is",
        "the figure to quote on a busy machine. The data is `flask demo generate` for the year up to the day of",
        "seeding (the newest cases open with live deadlines, waiting cases with open pauses, merged cases), then",
        "ANALYZE. No request counts the table: the API returns no total, pages are keyset (`next_cursor`).",
        "Quiet re-run: `.venv/bin/python -m bench.case_lists --database both --cases 1000000`, then the same with",
        "`--app-dir <export of main> --label 'before (main <commit>)'`.",
    ]
    lines += ["", "Plans: `case_lists_plans_<backend>.md`. Per backend: " + "; ".join(
        f"{kind}: {r['database']}, bench at {r['code'].get('commit')}, served from {r.get('app_dir')}, "
        f"measured {r['measured_at']}, "
        f"{r['opened_cases']} cases opened ({r['events_per_opened_case']} events each on average), "
        f"agency {r['responder_agency']}" for kind, r in results.items()), ""]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.case_lists", description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=400, help="measured requests of each kind")
    parser.add_argument("--open-cases", type=int, default=100, help="distinct cases opened (one case, its events)")
    parser.add_argument("--port", type=int, default=5201)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--workdir", default=str(DEFAULT_WORKDIR), help="where the SQLite file and logs live")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument(
        "--app-dir",
        default=str(PROJECT_ROOT),
        help="the code gunicorn serves (e.g. an export of an older commit, for a before/after in one sitting)",
    )
    parser.add_argument("--label", default="", help="a name for this run in the results (default: the backend)")
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    path = RESULTS / "case_lists.json"
    results: dict[str, dict[str, Any]] = json.loads(path.read_text()) if path.exists() else {}
    for kind in kinds:
        results[f"{kind} {args.label}".strip()] = run(kind, args)
        path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        (RESULTS / "case_lists.md").write_text(_markdown(results))
    print(f"wrote {path} and case_lists.md", flush=True)


if __name__ == "__main__":
    main()

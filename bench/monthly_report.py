"""`python -m bench.monthly_report [--backend sqlite|postgresql]`: the monthly report on a generated year, timed.

One command: the bench database (SQLite under instance/bench-monthly/, or PostgreSQL hotline_bench_report)
is created and filled with a year of demo data (`flask demo generate`'s code: 2022, scale 1.0, seed 7) when
it has no cases, and reused as it is otherwise (`--regenerate` starts again). Then, for one month: the
summary (`monthly_report`: every aggregate, the previous month, a year before, the 12-month trend) against a
floor — one hand-written SQL aggregate counting the month's cases per agency — and the ratio; then each
export (XLSX, CSV, PDF). Wall seconds with the CPU seconds of this process and, on PostgreSQL, of the
server's backend (contention-proof), and the load average. Targets: summary ≤ 1 s, each export ≤ 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import OperationalError

from app.db import db
from app.models import Call, Case
from app.reports.exports import FORMATS, export
from app.reports.monthly import monthly_report
from app.reports.months import Month
from bench.database import MIGRATIONS, TZ, BenchDatabase, app_context, make_database
from bench.measure import machine, process_cpu_seconds
from config.settings import PROJECT_ROOT, Settings

RESULTS = Path(__file__).resolve().parent / "results"
SQLITE_DIR = PROJECT_ROOT / "instance" / "bench-monthly"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/hotline_bench_report"
FIRST, MONTHS, SCALE, SEED = date(2022, 1, 1), 12, 1.0, 7
NOW = datetime(2026, 1, 1, tzinfo=UTC)  # the year's lives are played to their end, as bench.demo_generate does
DEFAULT_MONTH = "2022-11"  # a full month with a full month before it
FLOOR_SQL = text(
    "SELECT agency_id, count(*) FROM cases WHERE received_at >= :start AND received_at < :end GROUP BY agency_id"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", help="another database to use (made and filled if it has no cases)")
    parser.add_argument("--month", default=DEFAULT_MONTH, help=f"YYYY-MM (default {DEFAULT_MONTH})")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--regenerate", action="store_true", help="make the database afresh and generate again")
    args = parser.parse_args()
    database = _database(args.backend, args.database_url)
    generated = prepare(database, regenerate=args.regenerate)
    with app_context(database):
        figures = measure(Month.parse(args.month), args.runs)
    figures.update(backend=database.kind, generated=generated, machine=machine())
    print(json.dumps(figures, indent=1, ensure_ascii=False))
    write_results(figures)


def _database(kind: str, url: str | None) -> BenchDatabase:
    if url is None:
        url = f"sqlite:///{SQLITE_DIR / 'bench.db'}" if kind == "sqlite" else PG_URL
    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    workdir = Path(url.removeprefix("sqlite:///")).parent if kind == "sqlite" else SQLITE_DIR
    return BenchDatabase(kind=kind, url=Settings.from_env({"DATABASE_URL": url, "SECRET_KEY": "b"}).database_url,
                         workdir=workdir)  # fmt: skip


def _cases(database: BenchDatabase) -> int | None:
    """Cases in the database; None when it does not exist or has no schema yet."""
    try:
        with app_context(database):
            if not inspect(db.engine).has_table("cases"):
                return None
            return int(db.session.scalar(select(func.count()).select_from(Case)) or 0)
    except OperationalError:
        return None


def prepare(database: BenchDatabase, *, regenerate: bool) -> dict[str, Any]:
    """Reuse the year if the database has cases; else make the database and generate it (minutes)."""
    from app.demo.run import generate, stretch

    cases = None if regenerate else _cases(database)
    if cases:
        from flask_migrate import upgrade

        with app_context(database):
            upgrade(directory=str(MIGRATIONS))  # a year generated before the latest migration gets its indexes
        return {"reused": True, "cases": cases}
    if cases is None:
        if database.kind == "sqlite":
            Path(database.url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        make_database(database.kind, database.workdir, database.url)
    first, last = stretch(start=FIRST, months=MONTHS, days=None, now=NOW, tz=TZ)
    print(f"generating {first} – {last} at scale {SCALE} (seed {SEED}) into {database.kind} …", flush=True)
    with app_context(database):
        server = _backend(database.kind)
        server_before = process_cpu_seconds(server) if server else 0.0
        own_before = _own_and_children_cpu()
        report = generate(session=db.session, first=first, last=last, scale=SCALE, seed=SEED, now=NOW, tz=TZ,
                          progress=_progress, parallel=True)  # fmt: skip
        own_after = _own_and_children_cpu()
        server_cpu = process_cpu_seconds(server) - server_before if server else None
    return {
        "reused": False,
        "rows": report.total_rows,
        "seconds": round(report.seconds, 1),
        "cpu_seconds_writer": round(own_after[0] - own_before[0], 1),
        "cpu_seconds_generator": round(own_after[1] - own_before[1], 1),
        "cpu_seconds_server": None if server_cpu is None else round(server_cpu, 1),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def _progress(day: date) -> None:
    if day.day == 1:
        print(f"  {day:%Y-%m} … {time.strftime('%H:%M:%S')}", flush=True)


def _own_and_children_cpu() -> tuple[float, float]:
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _backend(kind: str) -> int | None:
    """PostgreSQL: the session's server process, when the server runs on this machine (its CPU is readable)."""
    if kind != "postgresql":
        return None
    pid = int(db.session.execute(text("SELECT pg_backend_pid()")).scalar_one())
    return pid if Path(f"/proc/{pid}/stat").exists() else None


def _timed(action: Any, server: int | None) -> tuple[float, float, float | None]:
    """Wall seconds, this process's CPU seconds, the server backend's CPU seconds (PostgreSQL only)."""
    server_before = process_cpu_seconds(server) if server else 0.0
    began, cpu = time.perf_counter(), time.process_time()
    action()
    wall, own = time.perf_counter() - began, time.process_time() - cpu
    return wall, own, (process_cpu_seconds(server) - server_before) if server else None


def measure(month: Month, runs: int) -> dict[str, Any]:
    session = db.session
    start, end = month.start(TZ), month.end(TZ)
    counts = {
        "cases_in_db": session.scalar(select(func.count()).select_from(Case)),
        "calls_in_db": session.scalar(select(func.count()).select_from(Call)),
        "cases_in_month": session.scalar(select(func.count()).where(Case.received_at >= start, Case.received_at < end)),
    }
    server = _backend(db.engine.dialect.name)
    report: dict[str, Any] = {}

    def summary() -> None:
        report.update(monthly_report(session, month, tz=TZ, now=NOW))
        session.rollback()

    def floor() -> None:
        session.execute(FLOOR_SQL, {"start": _bind(start), "end": _bind(end)}).all()
        session.rollback()

    summary()  # warm: the first run reads the tables from disk, the others from the cache
    summaries = sorted((_timed(summary, server) for _ in range(runs)), key=lambda each: each[0])
    floors = sorted((_timed(floor, server) for _ in range(runs)), key=lambda each: each[0])
    exports: dict[str, dict[str, Any]] = {}
    exported = {**report, "frozen": None, "differences": []}
    for fmt in FORMATS:
        content: dict[str, bytes] = {}
        wall, own, _server = _timed(lambda fmt=fmt, content=content: content.update(file=export(exported, fmt)), None)
        exports[fmt] = {"seconds": round(wall, 3), "cpu_seconds": round(own, 3), "bytes": len(content["file"])}
    middle, floor_middle = summaries[len(summaries) // 2], floors[len(floors) // 2]
    return {
        "month": str(month),
        **counts,
        "agencies_in_report": len(report.get("agencies", [])),
        "runs": runs,
        "summary_p50_s": round(middle[0], 3),
        "summary_max_s": round(summaries[-1][0], 3),
        "summary_cpu_s": round(middle[1], 3),  # this process (SQLite's work included)
        "summary_server_cpu_s": None if middle[2] is None else round(middle[2], 3),
        "floor_p50_s": round(floor_middle[0], 4),
        "summary_over_floor": round(middle[0] / floor_middle[0], 1) if floor_middle[0] else None,
        "exports": exports,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "targets": {
            "summary_le_1s": middle[0] <= 1.0,
            "each_export_le_5s": all(each["seconds"] <= 5.0 for each in exports.values()),
        },
    }


def _bind(moment: datetime) -> Any:
    # The raw SQL floor binds what UTCDateTime would: naive UTC on SQLite, aware on PostgreSQL.
    utc = moment.astimezone(UTC)
    return utc.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else utc


def write_results(figures: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "monthly_report.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results = results if "month" not in results else {}  # the one-run layout of before: replaced
    results[figures["backend"]] = figures
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    exports = ", ".join(
        f"{fmt} {each['seconds']} s (CPU {each['cpu_seconds']} s)" for fmt, each in figures["exports"].items()
    )
    server = f", server CPU {figures['summary_server_cpu_s']}" if figures["summary_server_cpu_s"] is not None else ""
    load = "/".join(f"{value:.1f}" for value in figures["load_average"])
    line = (
        f"| {figures['backend']} | {figures['month']} | {figures['cases_in_db']:,} | {figures['cases_in_month']:,} | "
        f"{figures['summary_p50_s']} (CPU {figures['summary_cpu_s']}{server}) | {figures['floor_p50_s']} | "
        f"{figures['summary_over_floor']} | {exports} | {load} | {figures['measured_at'][:16]} |\n"
    )
    md = RESULTS / "monthly_report.md"
    if not md.exists():
        md.write_text("# Benchmarks: the monthly report\n\n")
    with md.open("a") as file:
        file.write(line)


if __name__ == "__main__":
    main()

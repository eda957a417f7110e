"""`python -m bench.monthly_report --database-url URL [--month 2023-07] [--runs 5]`: the monthly report, timed.

On whatever data the database holds (e.g. a year from `flask demo generate`): the month's summary
(`monthly_report`: every aggregate, the previous month, the same month a year before, the 12-month trend),
against a floor — one hand-written SQL aggregate counting the month's cases per agency — and the ratio;
then each export (XLSX, CSV, PDF) of that summary. Targets: summary ≤ 1 s, each export ≤ 5 s.

`--synthetic` first fills a new database (SQLite in a temporary directory, or `--backend postgresql`) with a
year of cases and calls written straight into the tables (bulk INSERTs, clock columns drawn at random): a
stand-in for the demo generator, for sizing only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text

from app import create_app
from app.db import db
from app.models import Agency, Call, Case, Category, District, User
from app.reports.exports import FORMATS, export
from app.reports.monthly import monthly_report
from app.reports.months import Month
from app.vocabulary import CallOutcome, CaseStatus, CaseType, Channel, Role
from bench.database import SECRET_KEY, make_database
from bench.measure import machine
from config.settings import Settings

TZ = ZoneInfo("Asia/Taipei")
RESULTS = Path(__file__).resolve().parent / "results"
FLOOR_SQL = text(
    "SELECT agency_id, count(*) FROM cases WHERE received_at >= :start AND received_at < :end GROUP BY agency_id"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", help="the database to read (default: a new one with --synthetic)")
    parser.add_argument("--month", help="YYYY-MM (default: the last complete month with data)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--synthetic", type=int, default=0, help="fill a new database with this many cases a year")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    url = args.database_url
    if args.synthetic:
        database = make_database(args.backend, Path(tempfile.mkdtemp(prefix="bench-monthly-")))
        url = database.url
    if not url:
        parser.error("give --database-url, or --synthetic N to make one")
    app = create_app(Settings(env="development", database_url=url, secret_key=SECRET_KEY, timezone=TZ))
    with app.app_context():
        if args.synthetic:
            started = time.perf_counter()
            synthesise(args.synthetic)
            print(f"synthetic year: {args.synthetic:,} cases in {time.perf_counter() - started:.1f} s")
        figures = measure(args.month, args.runs)
    figures["backend"] = url.split(":", 1)[0]
    figures["machine"] = machine()
    print(json.dumps(figures, indent=1, ensure_ascii=False))
    write_results(figures)


def measure(month_text: str | None, runs: int) -> dict[str, Any]:
    session = db.session
    month = Month.parse(month_text) if month_text else default_month()
    now = datetime.now(UTC)
    start, end = month.start(TZ), month.end(TZ)
    counts = {
        "cases_in_db": session.scalar(select(func.count()).select_from(Case)),
        "calls_in_db": session.scalar(select(func.count()).select_from(Call)),
        "cases_in_month": session.scalar(select(func.count()).where(Case.received_at >= start, Case.received_at < end)),
    }
    summary, floor, summary_cpu = [], [], []
    report: dict[str, Any] = {}
    for _ in range(runs):
        began, cpu = time.perf_counter(), time.process_time()
        report = monthly_report(session, month, tz=TZ, now=now)
        summary.append(time.perf_counter() - began)
        # This process's CPU (SQLite runs in it): what the wall time would be on an idle machine, roughly.
        summary_cpu.append(time.process_time() - cpu)
        session.rollback()
        began = time.perf_counter()
        session.execute(FLOOR_SQL, {"start": _bind(start), "end": _bind(end)}).all()
        floor.append(time.perf_counter() - began)
        session.rollback()
    exports: dict[str, dict[str, float]] = {}
    for fmt in FORMATS:
        began, cpu = time.perf_counter(), time.process_time()
        content = export({**report, "frozen": None, "differences": []}, fmt)
        exports[fmt] = {
            "seconds": round(time.perf_counter() - began, 3),
            "cpu_seconds": round(time.process_time() - cpu, 3),
            "bytes": len(content),
        }
    summary_s, floor_s = sorted(summary)[len(summary) // 2], sorted(floor)[len(floor) // 2]
    return {
        "month": str(month),
        **counts,
        "agencies_in_report": len(report.get("agencies", [])),
        "runs": runs,
        "summary_p50_s": round(summary_s, 3),
        "summary_max_s": round(max(summary), 3),
        "summary_cpu_p50_s": round(sorted(summary_cpu)[len(summary_cpu) // 2], 3),
        "load_average": list(os.getloadavg()),
        "floor_p50_s": round(floor_s, 4),
        "summary_over_floor": round(summary_s / floor_s, 1) if floor_s else None,
        "exports": exports,
        "targets": {
            "summary_le_1s": summary_s <= 1.0,
            "each_export_le_5s": all(each["seconds"] <= 5.0 for each in exports.values()),
        },
    }


def _bind(moment: datetime) -> Any:
    # The raw SQL floor binds what UTCDateTime would: naive UTC on SQLite, aware on PostgreSQL.
    utc = moment.astimezone(UTC)
    return utc.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else utc


def default_month() -> Month:
    """The last complete month that has cases (the newest month if none is complete)."""
    latest = db.session.scalar(select(func.max(Case.received_at)))
    if latest is None:
        raise SystemExit("the database has no cases: give --synthetic N or a database with data")
    newest = Month.of(latest, TZ)
    return newest.previous() if newest.end(TZ) > datetime.now(UTC) else newest


def synthesise(per_year: int, seed: int = 1999) -> None:
    """A year of cases (petitions on working time, dispatches round the clock) and calls, by bulk INSERT."""
    rng = random.Random(seed)
    session = db.session
    agencies = session.scalars(select(Agency.id)).all()
    categories = session.execute(select(Category.id, Category.case_type)).all()
    districts = session.scalars(select(District.id)).all()
    agent_id = session.execute(
        insert(User).values(username="bench-agent", display_name="bench", role=Role.AGENT).returning(User.id)
    ).scalar_one()
    end = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    begin = end - timedelta(days=365)
    span = (end - begin).total_seconds()
    rows: list[dict[str, Any]] = []
    for number in range(per_year):
        received = begin + timedelta(seconds=rng.random() * span)
        category_id, case_type = rng.choice(categories)
        dispatch = case_type is CaseType.DISPATCH
        consultation = case_type is CaseType.CONSULTATION
        ack_window = 900 if dispatch else None
        report_window = 14_400 if dispatch else 172_800
        reported = not consultation and rng.random() < 0.93
        ack = int(rng.expovariate(1 / 600)) if not consultation else None
        report = int(rng.expovariate(1 / (report_window * 0.45))) if reported else None
        rows.append(
            {
                "case_no": f"B{number:09d}",
                "case_type": case_type,
                "channel": rng.choice(list(Channel)),
                "status": CaseStatus.CLOSED if reported or consultation else CaseStatus.ACKNOWLEDGED,
                "category_id": category_id,
                "district_id": rng.choice(districts),
                "agency_id": None if consultation else rng.choice(agencies),
                "description": "bench",
                "received_at": received,
                "created_at": received,
                "updated_at": received,
                "closed_at": received if consultation else None,
                "reported_at": received + timedelta(seconds=report) if report is not None else None,
                "version": 1,
                "sla_round": 1,
                "sla_started_at": received,
                "ack_due_at": received + timedelta(seconds=ack_window) if ack_window else None,
                "report_due_at": received + timedelta(seconds=report_window),
                "ack_clock_seconds": ack,
                "ack_window_seconds": ack_window if ack is not None else None,
                "report_clock_seconds": report,
                "report_window_seconds": report_window if report is not None else None,
            }
        )
        if len(rows) == 5000:
            session.execute(insert(Case), rows)
            rows = []
    if rows:
        session.execute(insert(Case), rows)
    calls: list[dict[str, Any]] = []
    outcomes = list(CallOutcome)
    for _ in range(per_year * 2):
        started = begin + timedelta(seconds=rng.random() * span)
        calls.append(
            {
                "channel": Channel.PHONE,
                "agent_id": agent_id,
                "started_at": started,
                "ended_at": started + timedelta(minutes=3),
                "outcome": rng.choice(outcomes),
            }
        )
        if len(calls) == 10000:
            session.execute(insert(Call), calls)
            calls = []
    if calls:
        session.execute(insert(Call), calls)
    session.commit()


def write_results(figures: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "monthly_report.json").write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n")
    exports = ", ".join(
        f"{fmt} {each['seconds']} s (CPU {each['cpu_seconds']} s)" for fmt, each in figures["exports"].items()
    )
    load = "/".join(f"{value:.1f}" for value in figures["load_average"])
    line = (
        f"| {figures['backend']} | {figures['month']} | {figures['cases_in_db']:,} | {figures['cases_in_month']:,} | "
        f"{figures['summary_p50_s']} (CPU {figures['summary_cpu_p50_s']}) | {figures['floor_p50_s']} | "
        f"{figures['summary_over_floor']} | {exports} | {load} |\n"
    )
    path = RESULTS / "monthly_report.md"
    if not path.exists():
        path.write_text(
            "# Benchmarks: the monthly report\n\n"
            "`python -m bench.monthly_report --database-url URL [--month YYYY-MM]`. Summary = `monthly_report` "
            "(all aggregates, previous month, a year before, 12-month trend); floor = one SQL count of the month's "
            "cases per agency. Targets: summary ≤ 1 s, each export ≤ 5 s.\n\n"
            "| backend | month | cases in db | cases in month | summary p50 s | floor p50 s | summary/floor "
            "| exports | load average |\n"
            "|---|---|---:|---:|---:|---:|---:|---|---|\n"
        )
    with path.open("a") as file:
        file.write(line)


if __name__ == "__main__":
    main()

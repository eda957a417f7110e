"""The SLA sweep at scale: its options, the timing of `app.cases.sweep.sweep(now=T)` on a freshly loaded database
per size, and run_sla_sweep, which `python -m bench` calls per backend.

For each size (10k, 100k, 1M cases) a fresh database is bulk-loaded with 10 % open
cases that carry real SLA columns and a `next_sla_check_at` in the future, and 90 % closed
cases whose SLA columns are NULL (as cases closed before deadlines existed). Then, per run,
100 due cases are opened through the real intake service at a past moment, and
`app.cases.sweep.sweep(now=T)` is timed. Every run gets 100 freshly opened cases (no parking, no
rewriting of rows): the cases of earlier runs have had their milestones fired and their next
check moved past T, so exactly the new 100 are due. The figure asked for is the ratio of the
median sweep at the largest size to that at the smallest: index-driven, it should stay ≤ 2.
The rows and due cases are made in bench.sla_data, the clock figures in bench.sla_clock, the
markdown in bench.sla_report.
"""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

from app.access import Actor
from app.cases.sweep import sweep
from app.db import current_session, db
from app.vocabulary import Role
from bench.bulk import load_cases
from bench.database import app_context, create_agent, load_reference, make_database, server_version
from bench.datagen import default_end
from bench.measure import NamedCpu, code_version, system_busy_seconds
from bench.search import StatementCapture, _database_size, _explain_one
from bench.sla_data import COLUMNS, DUE_MIX, OPEN_SHARE, DueCases, check_load, sla_generator

SIZES = (10_000, 100_000, 1_000_000)
DUE = 100
TARGET_RATIO = 2.0
CLOCK_STARTS = 200_000


@dataclass(frozen=True)
class SlaSweepOptions:
    sizes: tuple[int, ...] = SIZES
    sqlite_max_cases: int = 1_000_000  # larger sizes are skipped on SQLite
    runs: int = 9
    due: int = DUE
    clock_starts: int = CLOCK_STARTS
    clock_passes: int = 5  # warm passes of add()
    plan_passes: int = 3  # passes of plan()
    verify_rows: int = 200
    seed: int = 1999


# --- Timing the sweep ------------------------------------------------------------------------------


class SqlTimer:
    """Statements sent and time spent inside the driver's execute, to tell database time from Python time."""

    def __init__(self) -> None:
        self.statements = 0
        self.seconds = 0.0
        self._started = 0.0

    def before(self, *_args: Any) -> None:
        self._started = time.perf_counter()

    def after(self, *_args: Any) -> None:
        self.seconds += time.perf_counter() - self._started
        self.statements += 1


def _sweep_once(now: datetime, kind: str, capture: StatementCapture | None = None) -> dict[str, Any]:
    """One sweep in a fresh session on the app's pool, as the worker runs it; with the CPU used meanwhile."""
    db.session.remove()
    gc.collect()
    timer = SqlTimer() if capture is not None else None
    if capture is not None and timer is not None:
        event.listen(db.engine, "before_cursor_execute", capture)
        event.listen(db.engine, "before_cursor_execute", timer.before)
        event.listen(db.engine, "after_cursor_execute", timer.after)
    postgres = NamedCpu("postgres") if kind == "postgresql" else None
    busy, own = system_busy_seconds(), time.process_time()
    started = time.perf_counter()
    report = sweep(current_session(), now=now)
    elapsed = time.perf_counter() - started
    own = time.process_time() - own
    server = postgres.used() if postgres is not None else 0.0
    other = max(0.0, system_busy_seconds() - busy - own - server)
    if capture is not None and timer is not None:
        event.remove(db.engine, "before_cursor_execute", capture)
        event.remove(db.engine, "before_cursor_execute", timer.before)
        event.remove(db.engine, "after_cursor_execute", timer.after)
    db.session.remove()
    result = {
        "seconds": elapsed,
        "cases": report.cases,
        "fired": dict(sorted(report.fired.items())),
        "own_cpu_s": own,
        "postgres_cpu_s": server,
        "other_cores": other / elapsed if elapsed else 0.0,
    }
    if timer is not None:
        result.update(statements=timer.statements, sql_seconds=timer.seconds)
    return result


def _due_query_plan(capture: StatementCapture) -> str:
    """The plan of the sweep's due-case query as the sweep sent it, with cases due (rolled back: FOR UPDATE locks)."""
    statement = next(
        ((sql, parameters) for sql, parameters in capture.statements if "next_sla_check_at <=" in sql), None
    )
    if statement is None:
        return "(the due-case query was not captured)"
    plan_text = _explain_one(db.engine.dialect.name, *statement)
    current_session().rollback()
    db.session.remove()
    shown = " ".join(statement[0].split())
    return f"-- {shown}\n-- parameters: {statement[1]!r}\n{plan_text}"


def _measure_size(
    kind: str, workdir: Path, size: int, options: SlaSweepOptions, pg_url: str, now: datetime
) -> dict[str, Any]:
    print(f"  [{kind} {size:,}] migrate + seed, agent user", flush=True)
    database = make_database(kind, workdir / f"{size}", pg_url)
    agent_id, _token = create_agent(database)
    generator = sla_generator(database, count=size, agent_id=agent_id, now=now, seed=options.seed)
    print(f"  [{kind} {size:,}] generating and loading {size:,} cases (10 % open with deadlines)", flush=True)
    load, _sample = load_cases(
        database,
        count=size,
        agent_id=agent_id,
        end=default_end(),
        seed=options.seed,
        generator=generator,
        columns=COLUMNS,
    )
    checked = check_load(database, count=size, now=now, verify_rows=options.verify_rows, seed=options.seed)
    print(
        f"  [{kind} {size:,}] loaded in {load.seconds:.0f} s; {checked['open_with_next_check']:,} open with a next "
        f"check, 0 due; {checked['verified_rows']} rows match deadlines.sla_fields",
        flush=True,
    )
    engine = database.engine()
    try:
        reference = load_reference(engine)
    finally:
        engine.dispose()
    actor = Actor(user_id=agent_id, username="bench-agent", role=Role.AGENT)
    runs: list[dict[str, Any]] = []
    opening: list[float] = []
    # One app (one pool) for all runs, like the worker process that runs the sweep.
    with app_context(database):
        due_cases = DueCases(reference, actor, now, options.due, options.seed)
        # A first sweep in this process (reference snapshot, clock tables, statement caches), not counted.
        due_cases.open_batch()
        first = _sweep_once(now, kind)
        for _run in range(options.runs):
            started = time.perf_counter()
            due_cases.open_batch()
            opening.append(time.perf_counter() - started)
            runs.append(_sweep_once(now, kind))
        # One more, not counted, with every statement captured and timed in the driver.
        due_cases.open_batch()
        capture = StatementCapture()
        instrumented = _sweep_once(now, kind, capture)
        # And the due-case query's plan with a batch due.
        due_cases.open_batch()
        plan_text = _due_query_plan(capture)
    for result in [first, *runs, instrumented]:
        if result["cases"] != options.due or result["fired"] != first["fired"]:
            raise RuntimeError(f"a sweep checked {result['cases']} cases, fired {result['fired']}: {first} expected")
    seconds = [result["seconds"] for result in runs]
    median_ms = statistics.median(seconds) * 1000
    print(
        f"  [{kind} {size:,}] sweep of {options.due} due cases: median {median_ms:.1f} ms over {options.runs} runs "
        f"(min {min(seconds) * 1000:.1f}, max {max(seconds) * 1000:.1f}; first {first['seconds'] * 1000:.1f}); "
        f"fired {first['fired']}; {instrumented['statements']} statements, "
        f"{instrumented['sql_seconds'] * 1000:.0f} of {instrumented['seconds'] * 1000:.0f} ms in the driver",
        flush=True,
    )
    return {
        "cases": size,
        "database": server_version(database),
        **checked,
        "database_mb": _database_size(database),
        "load": {
            "seconds": round(load.seconds, 1),
            "rows_per_s": round(load.rows_per_s),
            "steps_s": {step: round(value, 1) for step, value in load.steps.items()},
            "method": load.notes,
        },
        "due_per_run": options.due,
        "fired_per_run": first["fired"],
        "events_per_run": sum(first["fired"].values()),
        "first_sweep_ms": round(first["seconds"] * 1000, 2),
        "sweep_ms": [round(value * 1000, 2) for value in seconds],
        "median_ms": round(median_ms, 2),
        "min_ms": round(min(seconds) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2),
        "sweep_cpu_ms": {
            "benchmark_process_median": round(statistics.median(r["own_cpu_s"] for r in runs) * 1000, 1),
            "postgres_median": round(statistics.median(r["postgres_cpu_s"] for r in runs) * 1000, 1),
        },
        "other_processes_cores_per_run": [round(r["other_cores"], 2) for r in runs],
        "instrumented_run": {
            "ms": round(instrumented["seconds"] * 1000, 2),
            "statements": instrumented["statements"],
            "in_driver_ms": round(instrumented["sql_seconds"] * 1000, 2),
        },
        "opening_due_cases_s": round(statistics.median(opening), 2),
        "due_query_plan": plan_text,
    }


def run_sla_sweep(kind: str, workdir: Path, options: SlaSweepOptions, pg_url: str) -> dict[str, Any]:
    """Every size on one backend; the sweep's `now` (T) is the moment the benchmark started."""
    now = datetime.now(UTC).replace(microsecond=0)
    code = code_version()  # what this process imported; `code` in the JSON is read when the entry is written
    sizes = [size for size in options.sizes if kind != "sqlite" or size <= options.sqlite_max_cases]
    skipped = [size for size in options.sizes if size not in sizes]
    results: dict[str, Any] = {}
    for size in sizes:
        results[str(size)] = _measure_size(kind, workdir, size, options, pg_url, now)
        if kind == "sqlite":
            _remove_sqlite(workdir / f"{size}")
    smallest, largest = results[str(min(sizes))], results[str(max(sizes))]
    ratio = largest["median_ms"] / smallest["median_ms"] if smallest["median_ms"] else None
    return {
        "backend": kind,
        "database": results[str(max(sizes))]["database"],
        "now": now.isoformat(),
        "code_at_start": code,
        "open_share": OPEN_SHARE,
        "runs": options.runs,
        "due_mix": [f"{round(k.share * options.due)} {k.category} ({k.target}:{k.kind} due)" for k in DUE_MIX],
        "sizes": results,
        "skipped_sizes": skipped,
        "ratio": {
            "of": f"median sweep at {max(sizes):,} / at {min(sizes):,} cases",
            "value": None if ratio is None else round(ratio, 2),
            "target": TARGET_RATIO,
            "meets_target": ratio is not None and ratio <= TARGET_RATIO,
        },
        "method": METHOD,
    }


METHOD = [
    "a fresh database per size (migrations + seed), cases bulk-loaded as in the search benchmark "
    "(same generated rows and loader), then re-shaped: 10 % open (assigned or acknowledged, of a category "
    "with a policy) with SLA columns computed by deadlines.sla_fields at T and a next check after T, "
    "their times moved to their SLA start; 90 % closed/cancelled/merged with NULL SLA columns; "
    "a sample of the open rows is re-read and checked against deadlines.sla_fields",
    "per run, the due cases are opened through app.cases.intake.open_case at a past moment (untimed), "
    "then app.cases.sweep.sweep(now=T) is timed in a fresh session; cases of earlier runs are no longer due at "
    "T (their due milestones fired, their next check is hours later), so each run sweeps exactly the new ones; "
    "case_events stays append-only, nothing is rewritten",
    "a first sweep per size is not counted (reference snapshot, clock tables, statement caches); one more "
    "after the timed runs, not counted either, captures and times every statement in the driver "
    "(statements / in driver ms); the due-case query's plan is taken with a batch due",
    "other processes, cores: CPU used during each timed sweep by anything but this process and the "
    "postgres backends (from /proc/stat), median over the runs: above ~0.2 the figures are disturbed",
]


def _remove_sqlite(directory: Path) -> None:
    for path in directory.glob("bench.db*"):
        path.unlink(missing_ok=True)


def sizes_argument(text: str) -> tuple[int, ...]:
    """Sizes written like "10000,100000,1000000" (underscores allowed: 1_000_000)."""
    return tuple(int(part.strip().replace("_", "")) for part in text.split(",") if part.strip())

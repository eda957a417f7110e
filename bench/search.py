"""Search at scale: load generated cases in bulk, then time app.cases.queries.list_cases per query class."""

from __future__ import annotations

import gc
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event

from app.access import Actor
from app.cases.queries import CaseFilter, list_cases
from app.db import db
from app.vocabulary import Role
from bench.bulk import load_cases
from bench.database import BenchDatabase, app_context, create_agent, make_database, server_version
from bench.datagen import Sample, default_end, written_forms
from bench.measure import NamedCpu, cores_used, summary_ms, system_busy_seconds

TARGET_P99_MS = 50.0
PAGE = 50


@dataclass(frozen=True)
class SearchOptions:
    cases: int = 1_000_000
    runs: int = 10
    seed: int = 1999
    plans: bool = True
    what_if_statistics: int = 1000  # PostgreSQL only; 0 skips the what-if


def query_classes(sample: Sample) -> dict[str, list[str]]:
    """What agents type: short Chinese terms, a case number, a phone number written differently, rare terms."""
    case_nos = [sample.case_nos[int(i * (len(sample.case_nos) - 1) / 3)] for i in range(4)]
    mobiles = [sample.phones[int(i * (len(sample.phones) - 1) / 3)] for i in range(4)]
    return {
        "2-char": ["路樹", "積水", "路燈", "坑洞"],
        "3-char": ["光復路", "人孔蓋", "流浪狗", "自由路"],
        "5-char": ["路樹倒塌擋", "水溝阻塞積", "人孔蓋鬆動"],
        "case number": case_nos,
        "phone (other form)": [written_forms(digits)[i % 2] for i, digits in enumerate(mobiles)],
        "rare term": ["消防栓", "獼猴", "消防栓漏水"],
        "no match": ["熱氣球", "氣球"],
        "two terms": ["光復路 積水", "路燈 不亮"],
    }


class GcWatch:
    """Durations of Python's garbage collections, to tell a GC pause from a slow query."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)


class StatementCapture:
    """Remembers the SQL statements the engine ran, to EXPLAIN exactly what list_cases sent."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        self.statements.append((statement, parameters))


def _explain_one(dialect: str, statement: str, parameters: Any) -> str:
    connection = db.session.connection()
    if dialect == "postgresql":
        rows = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        return "\n".join(row[0] for row in rows)
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    depth: dict[int, int] = {0: -1}
    lines = []
    for node_id, parent, _unused, detail in rows:
        depth[node_id] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node_id] + detail)
    return "\n".join(lines)


def _explain(dialect: str, capture: StatementCapture) -> str:
    """Every statement of one search, in order, each with its plan."""
    parts = []
    for number, (statement, parameters) in enumerate(capture.statements, start=1):
        shown = " ".join(statement.split())
        shown = shown if len(shown) <= 700 else shown[:700] + " …"
        parameters_shown = repr(parameters)
        parameters_shown = parameters_shown if len(parameters_shown) <= 300 else parameters_shown[:300] + " …"
        plan = _explain_one(dialect, statement, parameters)
        header = f"-- statement {number} of {len(capture.statements)}: {shown}\n-- parameters: {parameters_shown}"
        parts.append(f"{header}\n{plan}")
    return "\n\n".join(parts)


def _set_auto_explain(on: bool) -> None:
    """Turn PostgreSQL's auto_explain on or off for the session's connection (kept across transactions)."""
    settings = {
        "log_min_duration": "0" if on else "-1",
        "log_analyze": "on",
        "log_buffers": "on",
        "log_level": "notice",
    }
    connection = db.session.connection()
    connection.exec_driver_sql("LOAD 'auto_explain'")
    for name, value in settings.items():
        connection.exec_driver_sql(
            "SELECT set_config(%(name)s, %(value)s, false)", {"name": f"auto_explain.{name}", "value": value}
        )
    db.session.commit()


def _plans_as_run(search: Any, query: str) -> str:
    """The plans PostgreSQL actually used for one more run of `query` on the same connection, via auto_explain.

    psycopg prepares a statement after 5 executions and PostgreSQL may then switch to a generic plan
    (parameters shown as $1), which a fresh EXPLAIN with the values would not show.
    """
    notices: list[str] = []
    _set_auto_explain(True)
    raw = db.session.connection().connection.dbapi_connection
    handler = lambda diagnostic: notices.append(diagnostic.message_primary or "")  # noqa: E731
    raw.add_notice_handler(handler)
    try:
        search(query)
    finally:
        raw.remove_notice_handler(handler)
        _set_auto_explain(False)
        db.session.remove()
    return "\n\n".join(_format_auto_explain(n, len(notices), text) for n, text in enumerate(notices, start=1))


def _format_auto_explain(number: int, count: int, message: str) -> str:
    """auto_explain's 'duration … plan: Query Text: <sql> <plan>' as a one-line statement and its plan."""
    lines = message.splitlines()
    start = next((i for i, line in enumerate(lines) if "(cost=" in line and not line.startswith(" ")), len(lines))
    duration = lines[0].split("plan:")[0].strip() if lines else ""
    sql = " ".join(" ".join(lines[1:start]).removeprefix("Query Text:").split())
    sql = sql if len(sql) <= 500 else sql[:500] + " …"
    plan = lines[start:]
    kind = "generic plan" if any(re.search(r"\$\d", line) for line in plan) else "custom plan"
    return f"-- statement {number} of {count} ({duration}, {kind}): {sql}\n" + "\n".join(plan)


def _time_queries(
    database: BenchDatabase, agent_id: int, classes: dict[str, list[str]], options: SearchOptions
) -> dict[str, Any]:
    actor = Actor(user_id=agent_id, username="bench-agent", role=Role.AGENT)
    per_query: list[dict[str, Any]] = []
    plans: dict[str, str] = {}

    # CPU of this process, and of PostgreSQL when it is the backend under test, against all CPU used.
    gc.collect()  # garbage left by loading is the benchmark's, not the search's
    busy, own, pg, started = system_busy_seconds(), time.process_time(), NamedCpu("postgres"), time.perf_counter()
    gc_watch, gc_seconds = GcWatch(), []
    gc.callbacks.append(gc_watch)
    with app_context(database):
        dialect = db.engine.dialect.name
        capture = StatementCapture()

        def search(query: str) -> tuple[float, int]:
            gc_watch.pauses.clear()
            started = time.perf_counter()
            page = list_cases(session=db.session, actor=actor, filters=CaseFilter(q=query), limit=PAGE)
            elapsed = time.perf_counter() - started
            gc_seconds.append(sum(gc_watch.pauses))
            db.session.remove()  # a fresh session per search, as per request
            return elapsed, len(page.items)

        for query_class, queries in classes.items():
            for query in queries:
                capture.statements.clear()
                event.listen(db.engine, "before_cursor_execute", capture)
                warm, hits = search(query)
                event.remove(db.engine, "before_cursor_execute", capture)
                # Slow queries get fewer runs, so one bad class cannot eat the time budget.
                runs = options.runs if warm < 0.5 else max(3, min(options.runs, int(5 / warm)))
                gc_seconds.clear()
                timings = [search(query)[0] for _ in range(runs)]
                stats = summary_ms(timings)
                per_query.append(
                    {
                        "class": query_class,
                        "q": query,
                        "hits_on_page": hits,
                        **stats,
                        "python_gc_max_ms": round(max(gc_seconds, default=0.0) * 1000, 2),
                    }
                )
                if options.plans and dialect == "postgresql":
                    plans[f"{query_class}: {query}"] = _plans_as_run(search, query)
                elif options.plans:
                    plans[f"{query_class}: {query}"] = _explain(dialect, capture)
                    db.session.remove()
                print(
                    f"    {query_class:20} {query:18} p50 {stats['p50_ms']:8.2f} ms  p99 {stats['p99_ms']:8.2f} ms  "
                    f"hits {hits}",
                    flush=True,
                )
                per_query[-1]["samples_s"] = timings
        wall = time.perf_counter() - started
        own = time.process_time() - own + (pg.used() if database.kind == "postgresql" else 0.0)
        other_cores = cores_used(max(0.0, system_busy_seconds() - busy - own), wall)
    gc.callbacks.remove(gc_watch)
    by_class: dict[str, Any] = {}
    for query_class in classes:
        samples = [s for row in per_query if row["class"] == query_class for s in row["samples_s"]]
        by_class[query_class] = summary_ms(samples)
        by_class[query_class]["meets_target"] = by_class[query_class]["p99_ms"] <= TARGET_P99_MS
    overall = summary_ms([s for row in per_query for s in row["samples_s"]])
    for row in per_query:
        del row["samples_s"]
    return {
        "classes": by_class,
        "overall": overall,
        "queries": per_query,
        "plans": plans,
        "other_processes_cores": other_cores,
    }


# Columns whose planner statistics decide between "newest first, filter" and "index, then sort".
SEARCH_STATISTICS_COLUMNS = (("cases", "search_text"), ("case_search_grams", "grams"))


def run_search(kind: str, workdir: Path, options: SearchOptions, pg_url: str) -> list[dict[str, Any]]:
    """Load, then time the query classes; on PostgreSQL optionally again with larger statistics (a what-if)."""
    print(f"  [{kind}] migrate + seed, agent user", flush=True)
    database = make_database(kind, workdir, pg_url)
    agent_id, _token = create_agent(database)
    print(f"  [{kind}] generating and loading {options.cases:,} cases", flush=True)
    load, sample = load_cases(database, count=options.cases, agent_id=agent_id, end=default_end(), seed=options.seed)
    print(
        f"  [{kind}] loaded in {load.seconds:.0f} s ({load.rows_per_s:,.0f} rows/s): "
        + ", ".join(f"{step} {seconds:.0f} s" for step, seconds in load.steps.items()),
        flush=True,
    )
    size = _database_size(database)
    print(f"  [{kind}] searching: list_cases, limit {PAGE}, {options.runs} runs per query after a warm-up", flush=True)
    classes = query_classes(sample)
    common = {
        "database": server_version(database),
        "cases": options.cases,
        "database_mb": size,
        "load": {
            "seconds": round(load.seconds, 1),
            "rows_per_s": round(load.rows_per_s),
            "steps_s": {step: round(seconds, 1) for step, seconds in load.steps.items()},
            "method": load.notes,
        },
        "target_p99_ms": TARGET_P99_MS,
        "runs_per_query": options.runs,
    }
    results = [{"backend": kind, **common, **_time_queries(database, agent_id, classes, options)}]
    if kind == "postgresql" and options.what_if_statistics:
        target = options.what_if_statistics
        label = f"postgresql, statistics {target} (what-if)"
        print(
            f"  [{label}] ALTER ... SET STATISTICS {target} on "
            + ", ".join(f"{t}.{c}" for t, c in SEARCH_STATISTICS_COLUMNS)
            + "; ANALYZE; searching again",
            flush=True,
        )
        seconds = _raise_statistics(database, target)
        timed = _time_queries(database, agent_id, classes, options)
        what_if = {
            "what_if": f"not the migration as it is: statistics target {target} on "
            + ", ".join(f"{t}.{c}" for t, c in SEARCH_STATISTICS_COLUMNS)
            + f", then ANALYZE ({seconds:.0f} s)",
        }
        results.append({"backend": label, **common, **what_if, **timed})
    return results


def _raise_statistics(database: BenchDatabase, target: int) -> float:
    started = time.perf_counter()
    engine = database.engine(isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for table, column in SEARCH_STATISTICS_COLUMNS:
                connection.exec_driver_sql(f"ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS {int(target)}")
            for table in dict.fromkeys(table for table, _column in SEARCH_STATISTICS_COLUMNS):
                connection.exec_driver_sql(f"ANALYZE {table}")
    finally:
        engine.dispose()
    return time.perf_counter() - started


def _database_size(database: BenchDatabase) -> float:
    engine = database.engine()
    try:
        with engine.connect() as connection:
            if database.kind == "postgresql":
                size = connection.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
            else:
                pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
                page_size = connection.exec_driver_sql("PRAGMA page_size").scalar()
                size = int(pages or 0) * int(page_size or 0)
    finally:
        engine.dispose()
    return round(int(size or 0) / 1_000_000, 1)

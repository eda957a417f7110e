"""Loading generated cases in bulk: batched executemany on SQLite (FTS triggers live), COPY on PostgreSQL."""

from __future__ import annotations

import multiprocessing
import queue
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import islice
from multiprocessing.queues import Queue
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from bench.database import BenchDatabase, load_reference
from bench.datagen import CASE_COLUMNS, TIME_COLUMNS, CaseGenerator, GeneratedCase, Sample

Convert = Callable[[list[GeneratedCase]], list[Any]]
_DONE = "done"
SQLITE_BATCH = 5_000
PG_BATCH = 50_000
SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # what SQLAlchemy writes for the UTC-naive DateTime on SQLite


@dataclass
class LoadReport:
    cases: int
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def rows_per_s(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0


def _batches(generator: CaseGenerator, size: int) -> Iterator[list[GeneratedCase]]:
    iterator = iter(generator)
    while batch := list(islice(iterator, size)):
        yield batch


def _produce(generator: CaseGenerator, size: int, convert: Convert, out: Queue[Any]) -> None:
    """In a child process: generate batches, convert them for the loader, and finish with the sample."""
    for batch in _batches(generator, size):
        out.put(convert(batch))
    out.put((_DONE, generator.sample, generator.counters()))


class Producer:
    """Generates batches in a second process, so generating and inserting overlap on two cores."""

    def __init__(self, generator: CaseGenerator, size: int, convert: Convert) -> None:
        context = multiprocessing.get_context("fork")
        self.queue = context.Queue(maxsize=6)
        self.process = context.Process(target=_produce, args=(generator, size, convert, self.queue), daemon=True)
        self.sample: Sample | None = None
        self.counters: list[tuple[str, int]] = []

    def __iter__(self) -> Iterator[list[Any]]:
        self.process.start()
        try:
            while True:
                try:
                    item = self.queue.get(timeout=5)
                except queue.Empty:
                    if not self.process.is_alive():
                        raise RuntimeError(f"the data generator died (exit code {self.process.exitcode})") from None
                    continue
                if isinstance(item, tuple) and item and item[0] == _DONE:
                    self.sample, self.counters = item[1], item[2]
                    return
                yield item
        finally:
            self.process.join(timeout=30)
            if self.process.is_alive():
                self.process.terminate()


def _progress(label: str, done: int, total: int, started: float) -> None:
    elapsed = time.perf_counter() - started
    print(f"    {label}: {done:,}/{total:,} rows, {elapsed:.0f} s, {done / elapsed:,.0f} rows/s", flush=True)


def load_cases(
    database: BenchDatabase,
    *,
    count: int,
    agent_id: int,
    end: datetime,
    seed: int,
    generator: CaseGenerator | None = None,
    columns: Sequence[str] = CASE_COLUMNS,
) -> tuple[LoadReport, Sample]:
    """Fill `cases` and its search indexes with `count` generated cases; return timings and sample values.

    `generator` (with the `columns` its rows are in) replaces the default CaseGenerator, e.g. one
    that adds the SLA columns.
    """
    if generator is None:
        engine = database.engine()
        try:
            reference = load_reference(engine)
        finally:
            engine.dispose()
        generator = CaseGenerator(reference, count=count, agent_id=agent_id, end=end, seed=seed)
    report = LoadReport(cases=count)
    started = time.perf_counter()
    columns = tuple(columns)
    if database.kind == "postgresql":
        producer = Producer(generator, PG_BATCH, _pg_rows)
        _load_postgresql(database, producer, report, columns)
    else:
        producer = Producer(generator, SQLITE_BATCH, partial(_sqlite_rows, columns=columns))
        _load_sqlite(database, producer, report, columns)
    report.seconds = time.perf_counter() - started
    assert producer.sample is not None
    return report, producer.sample


# --- SQLite ----------------------------------------------------------------------------------


def _sqlite_rows(batch: list[GeneratedCase], columns: Sequence[str] = CASE_COLUMNS) -> list[tuple[list[Any], str]]:
    """Rows as sqlite3 takes them: times as SQLAlchemy writes them (UTC), grams space-separated for FTS5."""
    time_index = [index for index, name in enumerate(columns) if name in TIME_COLUMNS or name.endswith("_at")]
    rows = []
    for case in batch:
        row = list(case.row)
        for index in time_index:
            if row[index] is not None:
                row[index] = row[index].strftime(SQLITE_TIME_FORMAT)
        rows.append((row, " ".join(case.grams)))
    return rows


def _load_sqlite(
    database: BenchDatabase, producer: Producer, report: LoadReport, columns: Sequence[str] = CASE_COLUMNS
) -> None:
    path = make_url(database.url).database
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-1000000")
        connection.execute("PRAGMA foreign_keys=ON")
        report.notes.append(
            f"batched executemany, {SQLITE_BATCH:,} rows per transaction, synchronous=OFF during the load; "
            "FTS5 trigram index filled by the migration's triggers, case_grams by the loader"
        )
        insert_case = f"INSERT INTO cases ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        insert_grams = "INSERT INTO case_grams (rowid, grams) VALUES (?, ?)"
        started = time.perf_counter()
        done = 0
        for batch in producer:
            connection.execute("BEGIN")
            connection.executemany(insert_case, [row for row, _grams in batch])
            connection.executemany(insert_grams, [(row[0], grams) for row, grams in batch])
            connection.execute("COMMIT")
            done += len(batch)
            if done % 100_000 < SQLITE_BATCH:
                _progress("sqlite", done, report.cases, started)
        report.steps["insert (with FTS triggers)"] = time.perf_counter() - started
        step = time.perf_counter()
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO case_number_counters (day, last_seq) VALUES (?, ?) "
            "ON CONFLICT (day) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)",
            producer.counters,
        )
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        report.steps["counters + checkpoint"] = time.perf_counter() - step
    finally:
        connection.close()


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_dsn(database: BenchDatabase) -> str:
    return make_url(database.url).set(drivername="postgresql").render_as_string(hide_password=False)


INDEXES_SQL = """
SELECT i.relname, pg_get_indexdef(i.oid)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
WHERE t.relname IN ('cases', 'case_search_grams')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
ORDER BY i.relname
"""


def _pg_case_types(connection: psycopg.Connection, columns: Sequence[str] = CASE_COLUMNS) -> list[str]:
    rows = connection.execute(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = 'cases'::regclass AND attnum > 0 AND NOT attisdropped"
    ).fetchall()
    declared = {name: kind.split("(")[0] for name, kind in rows}  # "character varying(16)" -> "character varying"
    return [declared[name] for name in columns]


def _pg_rows(batch: list[GeneratedCase]) -> list[tuple[tuple[Any, ...], list[str]]]:
    return [(case.row, case.grams) for case in batch]


def _load_postgresql(
    database: BenchDatabase, producer: Producer, report: LoadReport, columns: Sequence[str] = CASE_COLUMNS
) -> None:
    dsn = _pg_dsn(database)
    with psycopg.connect(dsn, autocommit=True) as connection:
        # Secondary indexes are built once after the load (the same definitions the migration made).
        indexes = connection.execute(INDEXES_SQL).fetchall()
        for name, _definition in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        # Rows are generated from the seeded reference ids, so the per-row foreign-key triggers are skipped.
        connection.execute("SET session_replication_role = replica")
        report.notes.append(
            f"COPY (binary) in transactions of {PG_BATCH:,} rows; the {len(indexes)} secondary indexes "
            "(incl. pg_trgm and grams GIN) dropped before and rebuilt after from their own definitions; "
            "foreign-key triggers skipped (session_replication_role=replica)"
        )
        case_types = _pg_case_types(connection, columns)
        copy_cases = f"COPY cases ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
        started = time.perf_counter()
        done = 0
        for batch in producer:
            with connection.transaction():
                with connection.cursor().copy(copy_cases) as copy:
                    copy.set_types(case_types)
                    for row, _grams in batch:
                        copy.write_row(row)
                with connection.cursor().copy(
                    "COPY case_search_grams (case_id, grams) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.set_types(["int8", "text[]"])
                    for row, grams in batch:
                        copy.write_row((row[0], grams))
            done += len(batch)
            if done % 200_000 < PG_BATCH:
                _progress("postgresql", done, report.cases, started)
        report.steps["COPY cases + grams"] = time.perf_counter() - started
        connection.execute("SET session_replication_role = DEFAULT")
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO case_number_counters (day, last_seq) VALUES (%s::date, %s) "
                "ON CONFLICT (day) DO UPDATE SET last_seq = greatest(case_number_counters.last_seq, excluded.last_seq)",
                producer.counters,
            )
        connection.execute("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))")

    step = time.perf_counter()
    _build_indexes(dsn, [definition for _name, definition in indexes])
    report.steps[f"rebuild {len(indexes)} indexes (2 connections)"] = time.perf_counter() - step
    step = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE) cases")
        connection.execute("VACUUM (ANALYZE) case_search_grams")
    report.steps["VACUUM ANALYZE"] = time.perf_counter() - step


def _build_indexes(dsn: str, definitions: list[str]) -> None:
    """Build the indexes on two connections, the GIN ones spread first, so both cores work."""

    def build(chunk: list[str]) -> None:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute("SET maintenance_work_mem = '768MB'")
            for definition in chunk:
                connection.execute(definition)

    chunks: list[list[str]] = [[], []]
    weights = [0, 0]
    for definition in sorted(definitions, key=lambda d: "USING gin" not in d):
        lighter = weights.index(min(weights))
        chunks[lighter].append(definition)
        weights[lighter] += 3 if "USING gin" in definition else 1
    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(build, chunk) for chunk in chunks if chunk]:
            future.result()

"""Writing a day's generated rows in bulk, through the app's own connection and transaction.

SQLite: executemany on the DBAPI cursor (the FTS5 trigram index is filled by the migration's
triggers, the gram index by us, as `search.index_case` does). PostgreSQL: COPY through psycopg
(`case_search_grams` too), the rows already turned into COPY text where the day was generated (the
forked generator process): one bytes object crosses to the writer instead of millions of pickled
values, and the writer only streams it. Nothing is disabled: constraints, foreign keys and the append-only
triggers all hold (inserts are all they see). Row counts per table are kept for the report.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from app.demo.batch import Batch
from app.models import Case

# Every column of `cases`: the generator's rows are dicts keyed by column name, so the model is the list.
CASE_COLUMNS = tuple(column.name for column in Case.__table__.columns)
EVENT_COLUMNS = (
    "id",
    "case_id",
    "event_type",
    "actor_id",
    "occurred_at",
    "recorded_at",
    "payload",
    "sla_key",
    "agency_id",
    "left_agency_id",
)
CALL_COLUMNS = (
    "id",
    "caller_phone",
    "caller_as_given",
    "channel",
    "agent_id",
    "started_at",
    "ended_at",
    "outcome",
    "case_id",
    "article_id",
    "answer_text",
    "transferred_to",
    "note",
)
PAUSE_COLUMNS = ("id", "case_id", "started_at", "ended_at", "reason", "started_by_id")
ROW_NAMES = {"case_grams": "search grams", "case_search_grams": "search grams"}  # one name in the counts
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # what SQLAlchemy writes for a UTC DateTime on SQLite
# The search grams: SQLite's FTS5 table takes the case id as rowid and the grams as one string.
GRAM_COLUMNS = (("rowid", "grams"), ("case_id", "grams"))
SEQUENCES = {"cases": "cases", "case_events": "case_events", "calls": "calls", "sla_pauses": "sla_pauses"}


def _sqlite_rows(columns: Sequence[str], rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    """Times as SQLAlchemy writes them on SQLite (UTC, no zone), JSON as its JSON type writes it."""
    times = [i for i, name in enumerate(columns) if name.endswith("_at")]
    payload = columns.index("payload") if "payload" in columns else -1
    converted = []
    for row in rows:
        values = list(row)
        for index in times:
            value = values[index]
            if value is not None:
                if value.tzinfo is not UTC:
                    value = value.astimezone(UTC)
                values[index] = value.isoformat(" ", "microseconds")[:26]  # SQLITE_TIME, faster than strftime
        if payload >= 0:
            values[payload] = json.dumps(values[payload])
        converted.append(values)
    return converted


@dataclass
class Prepared:
    """A batch's rows as the database driver takes them, per table; made where the batch was generated.

    Per table: its name, columns, row count and rows (SQLite: parameter lists; PostgreSQL: COPY text)."""

    day: date
    tables: list[tuple[str, Sequence[str], int, Any]]
    counter: tuple[date, int] | None


def copy_text(rows: list[tuple[Any, ...]]) -> bytes:
    """Rows in PostgreSQL's COPY text format, as `Copy.write_row` would send them (psycopg's own
    formatter and default adapters: aware datetimes, ints, strings, booleans, Json, lists)."""
    # psycopg's formatter (C-accelerated) used without a connection: no connection-level adapter is in
    # play for these types, so the bytes are those write_row sends (tests/demo compares the two).
    from psycopg._copy_base import TextFormatter
    from psycopg.adapt import Transformer

    formatter = TextFormatter(Transformer())
    chunks = [formatter.write_row(row) for row in rows]
    chunks.append(formatter.end())
    return b"".join(chunks)


def prepare(batch: Batch, *, postgresql: bool) -> Prepared:
    """SQLite: times and JSON as SQLAlchemy writes them. PostgreSQL: JSON wrapped for COPY."""
    cases = [tuple(row[name] for name in CASE_COLUMNS) for row in batch.cases]
    tables: list[tuple[str, Sequence[str], list[Any]]] = [
        ("cases", CASE_COLUMNS, cases),
        ("case_events", EVENT_COLUMNS, batch.events),
        ("calls", CALL_COLUMNS, batch.calls),
        ("sla_pauses", PAUSE_COLUMNS, batch.pauses),
    ]
    if postgresql:
        from psycopg.types.json import Json

        payload = EVENT_COLUMNS.index("payload")
        tables[1] = (
            "case_events",
            EVENT_COLUMNS,
            [(*e[:payload], Json(e[payload]), *e[payload + 1 :]) for e in batch.events],
        )
        tables.append(("case_search_grams", GRAM_COLUMNS[1], batch.grams))
        return Prepared(batch.day, [(n, c, len(rows), copy_text(rows)) for n, c, rows in tables], batch.counter)
    tables.append(("case_grams", GRAM_COLUMNS[0], [(case_id, " ".join(grams)) for case_id, grams in batch.grams]))
    return Prepared(batch.day, [(n, c, len(rows), _sqlite_rows(c, rows)) for n, c, rows in tables], batch.counter)


class Writer:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgresql = session.get_bind().dialect.name == "postgresql"
        self.rows: Counter[str] = Counter()
        self.counters: dict[date, int] = {}

    def write(self, prepared: Prepared) -> None:
        """One batch, one transaction."""
        raw = self.session.connection().connection.driver_connection
        if self.postgresql:
            self._copy(raw, prepared)
        else:
            self._executemany(raw, prepared)
        if prepared.counter is not None:
            self._counter(*prepared.counter)
        self.session.commit()
        for name, _columns, count, _rows in prepared.tables:
            self.rows[ROW_NAMES.get(name, name)] += count

    def _executemany(self, raw: Any, prepared: Prepared) -> None:
        cursor = raw.cursor()
        # A bigger page cache for this connection: the indexes of a day's 10,000 rows stay in memory.
        cursor.execute("PRAGMA cache_size = -262144")
        for name, columns, count, rows in prepared.tables:
            if count:
                statement = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                cursor.executemany(statement, rows)
        cursor.close()

    def _copy(self, raw: Any, prepared: Prepared) -> None:
        with raw.cursor() as cursor:
            for name, columns, count, data in prepared.tables:
                if count:
                    with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                        copy.write(data)

    def _counter(self, day: date, last_seq: int) -> None:
        """The day's counter ends at the last number used: the next intake that day takes the next one."""
        greatest = "greatest" if self.postgresql else "max"
        self.session.execute(
            text(
                "INSERT INTO case_number_counters (day, last_seq) VALUES (:day, :seq) ON CONFLICT (day) DO UPDATE "
                f"SET last_seq = {greatest}(case_number_counters.last_seq, excluded.last_seq)"
            ),
            {"day": day if self.postgresql else day.isoformat(), "seq": last_seq},
        )
        self.counters[day] = last_seq

    def finish(self) -> None:
        """PostgreSQL: move the id sequences past the ids written here, so the services' next INSERT fits;
        then VACUUM (ANALYZE) the tables just filled, as autovacuum would minutes later: until then queries
        are planned for empty tables, and index-only scans (the report's) visit the table rows anyway.
        A few seconds for a year."""
        if self.postgresql:
            for table in SEQUENCES:
                self.session.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
            self.session.commit()
            tables = ", ".join([*SEQUENCES, "case_search_grams"])
            # VACUUM runs outside a transaction: a connection of its own, in autocommit.
            bind = self.session.get_bind()
            engine = bind if isinstance(bind, Engine) else bind.engine
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text(f"VACUUM (ANALYZE) {tables}"))

"""Writing a day's generated rows in bulk, through the app's own connection and transaction.

SQLite: executemany on the DBAPI cursor (the FTS5 trigram index is filled by the migration's
triggers, the gram index by us, as `search.index_case` does). PostgreSQL: COPY through psycopg
(`case_search_grams` too). Nothing is disabled: constraints, foreign keys and the append-only
triggers all hold (inserts are all they see). Row counts per table are kept for the report.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.demo.generate import Batch

CASE_COLUMNS = (
    "id",
    "case_no",
    "case_type",
    "channel",
    "status",
    "category_id",
    "district_id",
    "agency_id",
    "address",
    "latitude",
    "longitude",
    "description",
    "search_text",
    "reporter_name",
    "reporter_phone",
    "anonymous",
    "wants_sms_reply",
    "resolution",
    "report_text",
    "parent_case_id",
    "created_by_id",
    "received_at",
    "created_at",
    "updated_at",
    "assigned_at",
    "acknowledged_at",
    "reported_at",
    "closed_at",
    "reopened_at",
    "merged_at",
    "cancelled_at",
    "version",
    "sla_policy",
    "sla_policy_version",
    "sla_round",
    "sla_started_at",
    "ack_due_at",
    "report_due_at",
    "sla_due_at",
    "sla_stage",
    "next_sla_check_at",
    "alert_step",
    "next_alert_at",
    "alert_ladder",
    "alert_ladder_version",
    "report_count",
)
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
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # what SQLAlchemy writes for a UTC DateTime on SQLite
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


class Writer:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgresql = session.get_bind().dialect.name == "postgresql"
        self.rows: Counter[str] = Counter()
        self.counters: dict[date, int] = {}

    def write(self, batch: Batch) -> None:
        """One batch, one transaction."""
        cases = [tuple(row[name] for name in CASE_COLUMNS) for row in batch.cases]
        tables: list[tuple[str, Sequence[str], list[tuple[Any, ...]]]] = [
            ("cases", CASE_COLUMNS, cases),
            ("case_events", EVENT_COLUMNS, batch.events),
            ("calls", CALL_COLUMNS, batch.calls),
            ("sla_pauses", PAUSE_COLUMNS, batch.pauses),
        ]
        raw = self.session.connection().connection.driver_connection
        if self.postgresql:
            self._copy(raw, tables, batch.grams)
        else:
            self._executemany(raw, tables, batch.grams)
        if batch.counter is not None:
            self._counter(*batch.counter)
        self.session.commit()
        for name, _columns, rows in tables:
            self.rows[name] += len(rows)
        self.rows["search grams"] += len(batch.grams)

    def _executemany(
        self,
        raw: Any,
        tables: list[tuple[str, Sequence[str], list[tuple[Any, ...]]]],
        grams: list[tuple[int, list[str]]],
    ) -> None:
        cursor = raw.cursor()
        # A bigger page cache for this connection: the indexes of a day's 10,000 rows stay in memory.
        cursor.execute("PRAGMA cache_size = -262144")
        for name, columns, rows in tables:
            if rows:
                statement = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                cursor.executemany(statement, _sqlite_rows(columns, rows))
        cursor.executemany("INSERT INTO case_grams (rowid, grams) VALUES (?, ?)", [(i, " ".join(g)) for i, g in grams])
        cursor.close()

    def _copy(
        self,
        raw: Any,
        tables: list[tuple[str, Sequence[str], list[tuple[Any, ...]]]],
        grams: list[tuple[int, list[str]]],
    ) -> None:
        from psycopg.types.json import Json

        with raw.cursor() as cursor:
            for name, columns, rows in tables:
                if not rows:
                    continue
                json_at = [index for index, column in enumerate(columns) if column == "payload"]
                with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        if json_at:
                            row = tuple(Json(v) if i in json_at else v for i, v in enumerate(row))
                        copy.write_row(row)
            with cursor.copy("COPY case_search_grams (case_id, grams) FROM STDIN") as copy:
                for row in grams:
                    copy.write_row(row)

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
        """PostgreSQL: move the id sequences past the ids written here, so the services' next INSERT fits."""
        if self.postgresql:
            for table in SEQUENCES:
                self.session.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
            self.session.commit()

"""Counting what a process says to its database, deterministically: round trips, statements, transactions, pings.

PostgreSQL: every connection opened while counting is traced by libpq (PQtrace); a round trip is one
ReadyForQuery from the server (a simple query, or an extended-protocol batch ending in Sync: psycopg's
pipelined executemany is one). BEGIN, COMMIT and ROLLBACK are the simple queries psycopg sends for them.
SQLite: sqlite3's trace callback sees every statement the library runs (BEGIN/COMMIT/ROLLBACK included);
there a "round trip" is a statement run by the library, since there is no server to travel to.
Pool pre-pings are counted by wrapping the dialect's do_ping. Not thread-safe: count one client at a time.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql._psycopg_common import _PGDialect_common_psycopg
from sqlalchemy.engine import Engine
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.pool import Pool

# The classes that define do_ping (SQLite's inherits the default's).
_PINGING: tuple[type[DefaultDialect], ...] = (DefaultDialect, _PGDialect_common_psycopg)
_QUERY = re.compile(r'^F\t\d+\tQuery\t "(\w+)')


class RoundTrips:
    """Install before the app's engines connect (it sees connections as they open); then `counting()`."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.statements: list[str] = []  # the SQL the last counted window ran, first line of each
        self._traces: list[tuple[Any, Path]] = []  # (psycopg connection, its libpq trace file)
        self._sqlite: list[Any] = []
        self._active = False
        self._workdir = Path(tempfile.mkdtemp(prefix="roundtrips-"))
        self._pings = {dialect: dialect.__dict__["do_ping"] for dialect in _PINGING}
        event.listen(Pool, "connect", self._on_connect)
        event.listen(Engine, "before_cursor_execute", self._on_statement)
        for dialect, original in self._pings.items():
            dialect.do_ping = self._counted_ping(original)  # type: ignore[method-assign]

    def _counted_ping(self, original: Any) -> Any:
        def do_ping(dialect: DefaultDialect, dbapi_connection: Any) -> bool:
            if self._active:
                self.counts["pings"] += 1
            return bool(original(dialect, dbapi_connection))

        return do_ping

    def close(self) -> None:
        event.remove(Pool, "connect", self._on_connect)
        event.remove(Engine, "before_cursor_execute", self._on_statement)
        for dialect, original in self._pings.items():
            dialect.do_ping = original  # type: ignore[method-assign]

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        if hasattr(dbapi_connection, "pgconn"):
            path = self._workdir / f"trace-{len(self._traces)}.txt"
            self._traces.append((dbapi_connection, path))
            if self._active:
                self._trace(dbapi_connection, path)
        elif hasattr(dbapi_connection, "set_trace_callback"):
            self._sqlite.append(dbapi_connection)
            if self._active:
                dbapi_connection.set_trace_callback(self._on_sqlite)

    def _on_statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self._active:
            self.statements.append(" ".join(statement.split())[:140])

    def _on_sqlite(self, statement: str) -> None:
        if statement.startswith("--"):
            return  # a trigger's program (FTS upkeep) run inside the statement that fired it
        word = statement.split(None, 1)[0].upper() if statement.strip() else ""
        self.counts["round_trips"] += 1
        if word in ("BEGIN", "COMMIT", "ROLLBACK"):
            self.counts[word.lower()] += 1

    @staticmethod
    def _trace(dbapi_connection: Any, path: Path) -> None:
        from psycopg import pq

        handle = path.open("w")  # libpq writes through its own FILE*; closed with the trace
        dbapi_connection.pgconn.trace(handle.fileno())
        dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        dbapi_connection._roundtrips_handle = handle

    @contextmanager
    def counting(self) -> Iterator[None]:
        """Count from here to the end of the block (earlier counts and statements are dropped)."""
        self.counts.clear()
        self.statements.clear()
        self._active = True
        for connection, path in self._traces:
            if not connection.closed:
                self._trace(connection, path)
        for connection in self._sqlite:
            connection.set_trace_callback(self._on_sqlite)
        try:
            yield
        finally:
            self._active = False
            for connection in self._sqlite:
                connection.set_trace_callback(None)
            for connection, path in self._traces:
                handle = getattr(connection, "_roundtrips_handle", None)
                if handle is None:
                    continue
                if not connection.closed:
                    connection.pgconn.untrace()  # flushes libpq's buffer
                handle.close()
                connection._roundtrips_handle = None
                self._read_trace(path)

    def _read_trace(self, path: Path) -> None:
        for line in path.read_text(errors="replace").splitlines():
            if "\tReadyForQuery\t" in line:
                self.counts["round_trips"] += 1
            match = _QUERY.match(line)
            if match and match.group(1).upper() in ("BEGIN", "COMMIT", "ROLLBACK"):
                self.counts[match.group(1).lower()] += 1

    def per_item(self, items: int) -> dict[str, float]:
        """Counts per counted item (an intake), with the statements the application ran."""
        round_trips = self.counts["round_trips"]
        transaction = self.counts["begin"] + self.counts["commit"] + self.counts["rollback"]
        return {
            "round_trips": round(round_trips / items, 2),
            "statements": round(len(self.statements) / items, 2),
            "begin": round(self.counts["begin"] / items, 2),
            "commit": round(self.counts["commit"] / items, 2),
            "rollback": round(self.counts["rollback"] / items, 2),
            "pre_pings": round(self.counts["pings"] / items, 2),
            "other_round_trips": round((round_trips - transaction - len(self.statements)) / items, 2),
        }

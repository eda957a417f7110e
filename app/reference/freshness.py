"""Per-process caches of rows that change rarely and are read on every intake: the government calendar,
duty rosters, which user a bearer token stands for, and the numbers that replied STOP.

They stay fresh by `cache_generation`, one counter per watched table (so that a long transaction on the
calendar does not hold up a STOP reply), which database triggers bump on any write to those rows (migration
0019), whoever makes it. This process re-reads their sum at most every CHECK_EVERY seconds and drops
everything when it moved; a write made through this process's own engine drops everything the moment
it commits, so a change is seen at once here and within CHECK_EVERY elsewhere. A transaction that changed
such rows itself reads them from the database, not from the cache, until it ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import BigInteger, Column, Engine, Integer, Table, event, func, select
from sqlalchemy.orm import Session, scoped_session

from app.db import Base

T = TypeVar("T")
EXTENSION = "hotline_process_cache"
CHECK_EVERY = 1.0  # seconds between two reads of the generation number
# Writes to these tables drop the cache when they commit (the triggers' list, migration 0019).
WATCHED = (
    "calendar_overrides",
    "official_calendar_years",
    "roster_shifts",
    "roster_overrides",
    "api_tokens",
    "users",
    "sms_opt_outs",
)
_NOTED_USE = "UPDATE api_tokens SET last_used_at"  # a token's last use changes nothing cached
_WROTE = "process_cache_wrote"  # in a connection's info while its transaction wrote watched rows

cache_generation = Table(
    "cache_generation",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("generation", BigInteger, nullable=False),
)


class ProcessCache:
    """Values by key, all dropped together when the generation moves (or this process changed a row)."""

    def __init__(self, check_every: float = CHECK_EVERY, clock: Callable[[], float] = time.monotonic) -> None:
        self.check_every = check_every
        self.clock = clock
        self._lock = threading.Lock()
        self._values: dict[Hashable, Any] = {}
        self._generation: int | None = None
        self._checked_at = float("-inf")
        self._epoch = 0  # moves on every drop: a value loaded before a drop is not kept after it

    def get(self, session: Session, key: Hashable, load: Callable[[], T]) -> T:
        """The cached value for `key`, or `load()`'s, kept until the rows change (None is never kept)."""
        if isinstance(session, scoped_session):
            session = session()
        if session.in_transaction() and session.connection().info.get(_WROTE):
            return load()  # this transaction changed cached rows: only the database knows them now
        with self._lock:
            due = self.clock() - self._checked_at >= self.check_every
        if due:
            self._check(session)
        with self._lock:
            if key in self._values:
                return self._values[key]  # type: ignore[no-any-return]
            epoch = self._epoch
        value = load()
        if value is None:
            return value  # unknown keys (a made-up token) are not kept: they must not fill the memory
        # The caller's transaction may read an older snapshot than the generation this process last saw (SQLite
        # begins a read transaction at its first read): keep the value only if it was read at that generation,
        # or a revoked token would be kept as valid until the next, unrelated change.
        read_at = session.execute(select(func.sum(cache_generation.c.generation))).scalar()
        with self._lock:
            if epoch == self._epoch and read_at == self._generation:
                self._values[key] = value
        return value

    def _check(self, session: Session) -> None:
        generation = session.execute(select(func.sum(cache_generation.c.generation))).scalar()
        with self._lock:
            if generation != self._generation:
                self._drop_locked()
                self._generation = generation
            self._checked_at = self.clock()

    def drop(self) -> None:
        """Forget everything (a watched row changed and is committing), and read the generation again next time:
        a value re-read in the moment before the commit lands is then dropped at the next read, not a second later."""
        with self._lock:
            self._drop_locked()
            self._checked_at = float("-inf")

    def _drop_locked(self) -> None:
        self._values.clear()
        self._epoch += 1


def install(app: Any, engine: Engine) -> ProcessCache:
    """The app's cache, dropped whenever one of its own transactions that wrote watched rows commits."""
    cache = ProcessCache()
    app.extensions[EXTENSION] = cache

    @event.listens_for(engine, "after_cursor_execute")
    def _note_write(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        verb = statement.lstrip()[:6].upper()
        changes = verb in ("INSERT", "UPDATE", "DELETE") and not statement.startswith(_NOTED_USE)
        if changes and any(table in statement for table in WATCHED):
            connection.info[_WROTE] = True

    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        if connection.info.pop(_WROTE, None):
            cache.drop()

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        connection.info.pop(_WROTE, None)

    return cache


def process_cache() -> ProcessCache:
    cache: ProcessCache = current_app.extensions[EXTENSION]
    return cache


def cached(session: Session, key: Hashable, load: Callable[[], T]) -> T:
    """`load()`'s value for `key` from this process's cache (see the module's docstring for when it is re-read)."""
    return process_cache().get(session, key, load)

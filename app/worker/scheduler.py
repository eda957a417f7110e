"""The worker's scheduler: one APScheduler interval job that sweeps, run by one leader at a time.

APScheduler cannot share a job store between processes (its FAQ), so there is no job per
case: one periodic sweep over our own indexed column. Leadership is a PostgreSQL session
advisory lock held on a connection of its own (it vanishes with the process, so a standby
takes over at its next tick), or, on SQLite, an exclusive lock on a file in the instance
directory (one machine). A leader that hangs without dying keeps the lock: run the worker
under a supervisor that restarts it. The lock needs a real session, so the worker must
reach PostgreSQL directly, not through a transaction-mode pgbouncer.
"""

from __future__ import annotations

import fcntl
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from app.cases.sweep import sweep
from app.db import current_session, db

log = logging.getLogger(__name__)

# Any fixed 64-bit number, the same in every worker: "the SLA sweep".
ADVISORY_LOCK_KEY = 1999_0001


class SweepLeadership:
    """Whether this process may sweep; asks again at every tick until it gets it, then keeps it."""

    def __init__(self, engine: Engine, lock_file: Path) -> None:
        self._engine = engine
        self._lock_file = lock_file
        self._connection: Connection | None = None
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None

    def acquire(self) -> bool:
        """True if this process leads now (it already did, or it just took over)."""
        if self._engine.dialect.name == "postgresql":
            return self._acquire_advisory_lock()
        return self._acquire_file_lock()

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()  # the session ends, and its advisory lock with it
            finally:
                self._connection = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def _acquire_advisory_lock(self) -> bool:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                return True
            except DBAPIError:
                log.warning("lost the database session that held the sweep lock; trying to take it again")
                self._connection.invalidate()
                self._connection = None
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            taken = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}))
        except DBAPIError:
            connection.close()
            raise
        if not taken:
            connection.close()
            return False
        self._connection = connection
        log.info("this worker (pid %s) now leads the SLA sweep", os.getpid())
        return True

    def _acquire_file_lock(self) -> bool:
        if self._file is not None:
            return True
        self._lock_file.parent.mkdir(parents=True, exist_ok=True)
        handle = self._lock_file.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        log.info("this worker (pid %s) now leads the SLA sweep", os.getpid())
        return True


def leadership_engine(database_url: str) -> Engine:
    """An engine of its own for the lock's connection: outside the web pool, and with TCP keepalives
    so that a leader whose machine vanished loses the lock in about half a minute, not two hours."""
    if not database_url.startswith("postgresql"):
        return create_engine(database_url, poolclass=NullPool)
    keepalive = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}
    return create_engine(database_url, poolclass=NullPool, connect_args={**keepalive, "tcp_user_timeout": 30_000})


def sweep_tick(app: Flask, leadership: SweepLeadership) -> None:
    """One run of the job: sweep if this process leads; a failure is logged and retried next tick."""
    with app.app_context():
        try:
            if not leadership.acquire():
                return
            report = sweep(current_session())
            if report.cases:
                log.info("SLA sweep: %s", report.summary())
        except Exception:
            log.exception("SLA sweep failed; it will run again at the next tick")
        finally:
            db.session.remove()


def build_scheduler(app: Flask, *, interval: float, background: bool) -> tuple[BaseScheduler, SweepLeadership]:
    """A scheduler with the SLA sweep job; `background` for the in-process worker of `make run`."""
    settings = app.config["HOTLINE_SETTINGS"]
    leadership = SweepLeadership(leadership_engine(settings.database_url), settings.instance_dir / "sla-sweep.lock")
    scheduler: BaseScheduler = (BackgroundScheduler if background else BlockingScheduler)(timezone=UTC)
    scheduler.add_job(
        sweep_tick,
        "interval",
        args=(app, leadership),
        seconds=interval,
        id="sla-sweep",
        next_run_time=datetime.now(UTC),
        coalesce=True,  # after a pause, one catch-up run, not one per missed tick
        max_instances=1,
        misfire_grace_time=max(1, int(interval * 4)),
    )
    return scheduler, leadership

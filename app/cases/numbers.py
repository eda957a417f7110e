"""Case numbers: the ROC date of intake plus a daily sequence, e.g. 1121106-0042."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import URL, Engine, bindparam, create_engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import CaseNumberCounter

ROC_EPOCH_OFFSET = 1911
CASE_NO_PATTERN = re.compile(r"^\d{6,7}-\d{4,6}$")


def roc_date_digits(day: date) -> str:
    """2023-11-06 -> '1121106' (民國112年11月6日)."""
    return f"{day.year - ROC_EPOCH_OFFSET}{day.month:02d}{day.day:02d}"


def format_case_no(day: date, sequence: int) -> str:
    return f"{roc_date_digits(day)}-{sequence:04d}"


def next_case_no(session: Session, *, now: datetime, tz: ZoneInfo) -> str:
    """Take the next number for today in one atomic upsert; never the same number twice.

    SQLite: inside the intake's own transaction, which holds the database's single write
    lock anyway; a rolled-back intake gives its number back. PostgreSQL: in a transaction of
    its own, committed at once, because a counter row locked until the intake commits
    capped intake at ~350 cases/s however many processes served it. The price is a gap in
    the day's sequence when an intake fails after taking its number (validation comes first).
    """
    day = now.astimezone(tz).date()
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        with _counter_engine(bind.engine).connect() as connection:
            sequence = connection.execute(_POSTGRESQL_UPSERT, {"day": day}).scalar_one()
    else:
        sequence = session.execute(_SQLITE_UPSERT, {"day": day}).scalar_one()
    return format_case_no(day, sequence)


_counter_engines: dict[URL, Engine] = {}
_counter_engines_lock = threading.Lock()


def _counter_engine(engine: Engine) -> Engine:
    """A small autocommit pool of its own: an intake holding a main-pool connection must
    never wait for a second one from the same pool (50 intakes on 40 connections deadlocked).
    HOTLINE_NUMBERS_POOL_SIZE + _OVERFLOW connections per process (README, "Database connections"),
    each held for one statement."""
    key = engine.url
    with _counter_engines_lock:
        counter = _counter_engines.get(key)
        if counter is None:
            size, overflow, driver_options = _pool_settings()
            counter = create_engine(
                engine.url,
                pool_size=size,
                max_overflow=overflow,
                pool_timeout=10,
                pool_recycle=600,  # no pre-ping: a round trip per number (see app/__init__.py)
                isolation_level="AUTOCOMMIT",
                connect_args=driver_options,
            )
            _counter_engines[key] = counter
        return counter


def _pool_settings() -> tuple[int, int, dict[str, object]]:
    settings = current_app.config.get("HOTLINE_SETTINGS") if has_app_context() else None
    if settings is None:
        return 4, 0, {}
    return settings.numbers_pool_size, settings.numbers_pool_overflow, settings.driver_options


def _upsert(insert: Callable[..., Any]) -> Any:  # the dialect's insert(): its ON CONFLICT differs
    return (
        insert(CaseNumberCounter)
        .values(day=bindparam("day"), last_seq=1)
        .on_conflict_do_update(
            index_elements=[CaseNumberCounter.day],
            set_={"last_seq": CaseNumberCounter.last_seq + 1},
        )
        .returning(CaseNumberCounter.last_seq)
    )


# Built once: every intake runs one of them (building it cost more CPU than running it).
_POSTGRESQL_UPSERT = _upsert(postgresql.insert)
_SQLITE_UPSERT = _upsert(sqlite.insert)

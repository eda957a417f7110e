"""The database: declarative base, column types, and the one-transaction rule."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import BigInteger, DateTime, Engine, Integer, MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

# SQLite only makes INTEGER PRIMARY KEY an auto-incrementing rowid; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def current_session() -> Session:
    """The request's (or app context's) session itself, for service functions typed on Session."""
    return db.session()


def utcnow() -> datetime:
    return datetime.now(UTC)


def install_sqlite_pragmas(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for write transactions.

    pysqlite's own transaction handling cannot start an IMMEDIATE transaction, and a
    deferred one that reads and then writes fails at once when another writer got in
    between; so we emit BEGIN ourselves, IMMEDIATE when a service asks for it.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


# SQLite lets one writer in at a time and makes the others poll (its busy handler sleeps up to 100 ms between
# tries): a service that asks queues its process's threads on this lock instead, handed over at once on commit.
# Taken before BEGIN IMMEDIATE and held to the commit; after SQLITE_QUEUE_SECONDS a thread goes on without it
# (SQLite's own busy timeout still decides), so a writer stuck elsewhere cannot hang the rest for good.
_SQLITE_WRITERS = threading.Lock()
SQLITE_QUEUE_SECONDS = 30.0


@contextmanager
def write_transaction(session: Session, *, queue_on_sqlite: bool = False) -> Iterator[Session]:
    """Run one service function's writes as one transaction: all of it commits or none.

    A read-only transaction left open by the caller is ended first, so that on SQLite the
    write transaction starts IMMEDIATE and on PostgreSQL it sees the latest committed rows.
    `queue_on_sqlite`: on SQLite, wait for this process's other such writers on a lock rather than in SQLite.
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("uncommitted changes in the session before a service transaction")
    if session.in_transaction():
        session.commit()
    # Objects outlive commits here (expire_on_commit=False); a service must decide on fresh rows.
    session.expire_all()
    queued = (
        queue_on_sqlite
        and session.get_bind().dialect.name == "sqlite"
        and _SQLITE_WRITERS.acquire(timeout=SQLITE_QUEUE_SECONDS)
    )
    try:
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
    finally:
        if queued:
            _SQLITE_WRITERS.release()

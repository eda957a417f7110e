"""Faults injected into the real database (a trigger that refuses one write), on SQLite and PostgreSQL alike.

The code under test runs unchanged: the database itself says no, as a full disk, a lost connection
or a constraint added by a later migration would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from app.db import db

TRIGGER = "test_refuses_a_write"


@contextmanager
def database_refuses(table: str, operation: str, condition: str, message: str = "the disk said no") -> Iterator[None]:
    """While inside, an `operation` ("INSERT" or "UPDATE") on `table` whose row matches `condition` (SQL over
    NEW.<column>, the same on both databases) fails with `message`; any other write goes through."""
    assert operation in ("INSERT", "UPDATE") and "'" not in message
    db.session.rollback()  # no transaction of the test's own may hold the table while its trigger is created
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        create = [
            f"CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF {condition} THEN RAISE EXCEPTION '{message}'; END IF; RETURN NEW; END $$",
            f"CREATE TRIGGER {TRIGGER} BEFORE {operation} ON {table} FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()",
        ]
        drop = [f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}", f"DROP FUNCTION IF EXISTS {TRIGGER}()"]
    else:
        create = [
            f"CREATE TRIGGER {TRIGGER} BEFORE {operation} ON {table} WHEN {condition} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        ]
        drop = [f"DROP TRIGGER IF EXISTS {TRIGGER}"]
    with db.engine.begin() as connection:
        for statement in create:
            connection.execute(text(statement))
    try:
        yield
    finally:
        db.session.rollback()
        with db.engine.begin() as connection:
            for statement in drop:
                connection.execute(text(statement))

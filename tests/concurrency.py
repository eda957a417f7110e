"""Running the system's own functions truly at once (threads, each with its own connection, released by a
barrier), and, on PostgreSQL, a worker that dies in the middle of its transaction."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from app.db import db


def run_together(app: Flask, *work: Callable[[Session], Any], timeout: float = 120) -> list[Any]:
    """Call each function with a session of its own thread, all released at the same moment; their results
    in order (an exception is re-raised here)."""
    start = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)
    errors: list[BaseException] = []

    def run(index: int, function: Callable[[Session], Any]) -> None:
        with app.app_context():
            try:
                session = db.session()
                session.connection()  # connected before the start, so the race is over the rows, not the pool
                session.commit()
                start.wait()
                results[index] = function(session)
            except BaseException as error:  # reported to the test below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(index, function)) for index, function in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a concurrent worker never finished"
    if errors:
        raise errors[0]
    return results


# -- PostgreSQL: a worker killed between two statements of one transaction ---------------------------------

DOOMED = "hotline-test-doomed-worker"


def doomed_engine() -> Engine:
    """Connections that say who they are, so the database can hold them up and the test can kill them."""
    url = db.engine.url.render_as_string(hide_password=False)
    return create_engine(url, connect_args={"application_name": DOOMED})


@contextmanager
def doomed_updates_hang(table: str) -> Iterator[None]:
    """While inside, an UPDATE of `table` by a doomed connection waits (a worker frozen at that statement,
    its earlier writes not committed and its row locks held) until the test kills it."""
    function, trigger = "test_doomed_update_hangs", "test_doomed_update_hangs"
    db.session.rollback()
    with db.engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF current_setting('application_name') = '{DOOMED}' THEN PERFORM pg_sleep(120); END IF; "
                "RETURN NEW; END $$"
            )
        )
        connection.execute(
            text(f"CREATE TRIGGER {trigger} BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()")
        )
    try:
        yield
    finally:
        kill_doomed()
        db.session.rollback()
        with db.engine.begin() as connection:
            connection.execute(text(f"DROP TRIGGER IF EXISTS {trigger} ON {table}"))
            connection.execute(text(f"DROP FUNCTION IF EXISTS {function}()"))


def wait_until_doomed_hangs(worker: threading.Thread, timeout: float = 60) -> None:
    """Until the doomed worker sits in the held-up UPDATE (a condition polled, not a pause guessed)."""
    deadline = time.monotonic() + timeout
    query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name AND wait_event = 'PgSleep'")
    while time.monotonic() < deadline and worker.is_alive():
        with db.engine.connect() as connection:
            if connection.scalar(query, {"name": DOOMED}):
                return
        time.sleep(0.05)
    raise AssertionError("the doomed worker never reached the held-up UPDATE (see its thread's error above)")


def kill_doomed() -> int:
    """Terminate the doomed worker's connections, as a crash of its process would: PostgreSQL rolls back."""
    with db.engine.connect() as connection:
        killed = connection.scalar(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": DOOMED},
        )
        connection.commit()
    return int(killed or 0)

"""The worker: concurrent sweeps never double-fire, and a standby worker takes over when the leader dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.cases.sweep import sweep
from app.db import db, utcnow
from app.models import Case, CaseEvent
from tests.factories import Factory

ROOT = Path(__file__).resolve().parents[2]


def _sla_keys() -> Counter[tuple[int, str]]:
    db.session.rollback()  # a fresh snapshot: the rows were written by other threads or processes
    rows = db.session.execute(select(CaseEvent.case_id, CaseEvent.sla_key).where(CaseEvent.sla_key.is_not(None)))
    # SLA milestones only; the worker also climbs the alert ladder, whose steps share the once-only index.
    return Counter((case_id, str(key)) for case_id, key in rows if ":ladder:" not in str(key))


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


def test_two_sweeps_at_once_fire_each_milestone_once(app: Flask, factory: Factory) -> None:
    now = utcnow()
    cases = [factory.case(now=now - timedelta(minutes=20), description=f"倒樹 {n}") for n in range(40)]
    start = threading.Barrier(2)
    reports = []

    def sweeper() -> None:
        with app.app_context():
            start.wait()
            reports.append(sweep(db.session, now=now, batch_size=7))
            db.session.remove()

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    keys = _sla_keys()
    # Each case: acknowledgement warning, breach and escalation, once each, whoever fired them.
    assert len(keys) == 3 * len(cases) and set(keys.values()) == {1}
    assert sum(sum(report.fired.values()) for report in reports) == 3 * len(cases)


@pytest.fixture
def start_worker(database_url: str, tmp_path: Path) -> Iterator[Callable[[str], subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []

    def start(name: str) -> subprocess.Popen[str]:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "HOTLINE_INSTANCE_DIR": str(tmp_path),  # shared: the SQLite lock file lives here
            "HOTLINE_ENV": "test",
            "SECRET_KEY": "test-secret",
        }
        log = (tmp_path / f"{name}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--interval", "0.5"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


def _ticks(tmp_path: Path, name: str) -> int:
    """Sweep ticks the worker has finished (APScheduler logs each run of the job)."""
    lines = (tmp_path / f"{name}.log").read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines if "sweep_tick" in line and "executed successfully" in line)


def _leads(tmp_path: Path, name: str) -> bool:
    return "now leads the SLA sweep" in (tmp_path / f"{name}.log").read_text(encoding="utf-8")


def test_a_standby_worker_takes_over_when_the_leader_dies(
    factory: Factory, start_worker: Callable[[str], subprocess.Popen[str]], tmp_path: Path
) -> None:
    workers = {name: start_worker(name) for name in ("one", "two")}
    _wait_for(lambda: _leads(tmp_path, "one") or _leads(tmp_path, "two"), 30, "a leader")
    leader = "one" if _leads(tmp_path, "one") else "two"
    standby = "two" if leader == "one" else "one"
    # The standby's own log says when it has asked for the lock again: three ticks later it still waits.
    asked = _ticks(tmp_path, standby)
    _wait_for(lambda: _ticks(tmp_path, standby) >= asked + 3, 30, "three more ticks of the standby")
    assert not _leads(tmp_path, standby), "exactly one worker leads"

    first = factory.case(now=utcnow() - timedelta(minutes=20))
    _wait_for(lambda: sum(1 for case_id, _ in _sla_keys() if case_id == first.id) == 3, 20, "the leader's sweep")

    workers[leader].send_signal(signal.SIGKILL)  # no clean shutdown: the lock must go with the process
    workers[leader].wait(timeout=10)
    second = factory.case(now=utcnow() - timedelta(minutes=20), description="第二棵倒樹")
    _wait_for(lambda: _leads(tmp_path, standby), 60, "the standby to take over")
    _wait_for(lambda: sum(1 for case_id, _ in _sla_keys() if case_id == second.id) == 3, 20, "the standby's sweep")
    keys = _sla_keys()
    assert set(keys.values()) == {1}, "no milestone fired twice"
    db.session.rollback()
    due = db.session.scalar(select(func.count()).select_from(Case).where(Case.next_sla_check_at <= utcnow()))
    assert due == 0

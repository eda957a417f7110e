"""Versioned alert ladders: a case climbs the ladder it started with; an edit reaches new cases without a restart."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from app.alerting.escalation import climb
from app.db import db, utcnow
from app.models import AlertLadderVersion, Case, CaseEvent
from app.reference import cache
from app.reference.seed import seed_reference_data
from app.worker.jobs import ladder_tick
from config.settings import REFERENCE_DIR
from dispatch.ladder import LadderPolicy
from tests.conftest import ManualClock
from tests.factories import Factory

pytestmark = pytest.mark.mutates_reference

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Taipei")
NOON = datetime(2025, 3, 3, 12, 0, tzinfo=TZ)
DEFAULT = "{call_duty_after: 10m, call_supervisor_after: 10m, repeat_every: 10m}"
QUICKER = "{call_duty_after: 3m, call_supervisor_after: 4m, repeat_every: 5m}"


@pytest.fixture
def reference_copy(tmp_path: Path) -> Path:
    target = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, target)
    return target


def _edit_default_ladder(directory: Path, old: str, new: str) -> None:
    path = directory / "alerts.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _steps_at(case: Case) -> list[timedelta]:
    """When each ladder step of the case was taken, counted from noon."""
    taken = db.session.scalars(
        select(CaseEvent.occurred_at)
        .where(CaseEvent.case_id == case.id, CaseEvent.event_type == "alert_escalated")
        .order_by(CaseEvent.id)
    )
    return [moment - NOON for moment in taken]


def _ladder_versions() -> int:
    return db.session.scalar(select(func.count()).select_from(AlertLadderVersion)) or 0


def test_a_case_keeps_the_ladder_it_started_with_and_a_new_case_gets_the_edited_one(
    factory: Factory, reference_copy: Path
) -> None:
    before = factory.case(now=NOON)
    _edit_default_ladder(reference_copy, DEFAULT, QUICKER)
    report = seed_reference_data(session=db.session, directory=reference_copy, force=True)
    assert (report["alert_ladders.updated"], report["alert_ladders.unchanged"]) == (1, 1)
    # Same app, same process: no restart between the seed and the next case.
    after = factory.case(now=NOON, description="又一棵倒樹")
    assert (before.alert_ladder, before.alert_ladder_version) == ("default", 1)
    assert (after.alert_ladder, after.alert_ladder_version) == ("default", 2)
    assert (before.next_alert_at, after.next_alert_at) == (NOON + timedelta(minutes=10), NOON + timedelta(minutes=3))
    for minute in range(41):
        climb(db.session, now=NOON + timedelta(minutes=minute))
    assert _steps_at(before) == [timedelta(minutes=m) for m in (10, 20, 30, 40)]
    assert _steps_at(after) == [timedelta(minutes=m) for m in (3, 7, 12, 17, 22, 27, 32, 37)]


def test_reseeding_an_unchanged_file_adds_no_version_and_a_dropped_ladder_is_retired_not_deleted(
    app: Flask, reference_copy: Path
) -> None:
    count = _ladder_versions()
    report = seed_reference_data(session=db.session, directory=REFERENCE_DIR, force=True)
    assert report["alert_ladders.unchanged"] == count == 2
    assert not (report["alert_ladders.created"] or report["alert_ladders.updated"]) and _ladder_versions() == count
    path = reference_copy / "alerts.yaml"
    path.write_text(
        "".join(line for line in path.read_text(encoding="utf-8").splitlines(True) if "traffic_incident" not in line),
        encoding="utf-8",
    )
    report = seed_reference_data(session=db.session, directory=reference_copy, force=True)
    assert report["alert_ladders.retired"] == 1 and _ladder_versions() == count
    retired = db.session.scalar(select(AlertLadderVersion).where(AlertLadderVersion.key == "category:traffic_incident"))
    assert retired is not None and retired.current is False
    # Back in the file, it is current again as a new version.
    report = seed_reference_data(session=db.session, directory=REFERENCE_DIR, force=True)
    assert report["alert_ladders.created"] == 1
    assert (
        db.session.scalar(
            select(AlertLadderVersion.version).where(
                AlertLadderVersion.key == "category:traffic_incident", AlertLadderVersion.current
            )
        )
        == 2
    )


def test_a_seed_from_another_process_reaches_new_cases_within_the_ttl_and_the_worker_keeps_each_case_on_its_own(
    factory: Factory,
    app: Flask,
    reference_copy: Path,
    database_url: str,
    tmp_path: Path,
    reference_clock: ManualClock,
) -> None:
    started = utcnow() - timedelta(minutes=11)  # both first calls are due now
    before = factory.case(now=started)  # this process reads its snapshot
    # The snapshot's clock stands still however slow the seed below: it is the test's (reference_clock).
    _edit_default_ladder(reference_copy, DEFAULT, QUICKER)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HOTLINE_INSTANCE_DIR": str(tmp_path),
        "HOTLINE_ENV": "test",
        "SECRET_KEY": "test-secret",
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "seed", "--directory", str(reference_copy), "--force"]
    seeded = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    assert seeded.returncode == 0 and "alert_ladders.updated 1" in seeded.stdout, seeded.stdout + seeded.stderr
    # This process read its snapshot before the seed: new cases get version 1 until the TTL runs out.
    assert factory.case(now=started, description="樹倒 2").alert_ladder_version == 1
    reference_clock.advance(cache.SNAPSHOT_TTL + 1)
    after = factory.case(now=started, description="樹倒 3")
    assert after.alert_ladder_version == 2
    # The worker's ladder job: each case takes its first call now and spaces the next by its own version.
    ladder_tick(app)
    db.session.expire_all()
    for case, gap in ((before, timedelta(minutes=10)), (after, timedelta(minutes=4))):
        fresh = db.session.get(Case, case.id)
        step = db.session.scalar(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.event_type == "alert_escalated")
        )
        assert fresh is not None and step is not None and fresh.alert_step == 1
        assert fresh.next_alert_at is not None and fresh.next_alert_at - step.occurred_at == gap


def test_a_ladder_started_before_versions_climbs_the_current_one_and_then_keeps_it(
    factory: Factory, reference_copy: Path
) -> None:
    case = factory.case(now=NOON)
    # As a case dispatched before migration 0005 left it: a ladder running, none recorded.
    cases = Case.__table__
    db.session.execute(
        update(cases).where(cases.c.id == case.id).values(alert_ladder=None, alert_ladder_version=None)  # type: ignore[arg-type]
    )
    db.session.commit()
    _edit_default_ladder(reference_copy, DEFAULT, QUICKER)
    seed_reference_data(session=db.session, directory=reference_copy, force=True)
    climb(db.session, now=NOON + timedelta(minutes=10))
    db.session.expire_all()
    fresh = db.session.get(Case, case.id)
    assert fresh is not None and (fresh.alert_ladder, fresh.alert_ladder_version) == ("default", 2)
    assert fresh.next_alert_at == NOON + timedelta(minutes=14)
    # Another edit does not move it again.
    _edit_default_ladder(reference_copy, QUICKER, DEFAULT.replace("10m}", "30m}"))
    seed_reference_data(session=db.session, directory=reference_copy, force=True)
    for minute in range(10, 30):
        climb(db.session, now=NOON + timedelta(minutes=minute))
    assert _steps_at(case) == [timedelta(minutes=m) for m in (10, 14, 19, 24, 29)]


def test_a_ladder_is_stored_under_its_key_and_comes_back_the_same() -> None:
    ladders = [
        LadderPolicy(timedelta(minutes=10), timedelta(minutes=10), timedelta(minutes=10)),
        LadderPolicy(timedelta(minutes=5), timedelta(minutes=5), timedelta(minutes=5), category="traffic_incident"),
        LadderPolicy(timedelta(minutes=2), timedelta(minutes=3), timedelta(minutes=4), agency="PWD-MAINT"),
    ]
    assert [ladder.key for ladder in ladders] == ["default", "category:traffic_incident", "agency:PWD-MAINT"]
    assert [LadderPolicy.from_spec(ladder.to_spec()) for ladder in ladders] == ladders


def test_an_urgent_case_is_recorded_and_called_before_the_ladders_are_seeded(factory: Factory) -> None:
    """Migrated but not yet seeded: the intake is not refused; the case climbs the file's ladder,
    records no version, and adopts the stored one at its next step once `flask seed` has run."""
    db.session.execute(AlertLadderVersion.__table__.delete())
    db.session.commit()
    cache.reference_cache.clear()
    case = factory.case(now=NOON)  # a fallen tree: urgent
    assert case.alert_ladder is None and case.alert_ladder_version is None
    assert case.next_alert_at == NOON + timedelta(minutes=10)  # the file's first delay
    seed_reference_data(session=db.session, directory=REFERENCE_DIR, force=True)
    climb(db.session, now=NOON + timedelta(minutes=10))
    db.session.refresh(case)
    assert _steps_at(case) == [timedelta(minutes=10)]
    assert (case.alert_ladder, case.alert_ladder_version) == ("default", 1)

"""After the first seed the database is the truth: `flask seed` adds what is new in the files and reports,
without overwriting, what differs; `--force` overwrites and prints it. Its changes are in the change log."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app.access import Actor
from app.admin_audit import COMMAND_LINE
from app.db import db
from app.models import AdminChange, Category, District, SlaPolicyVersion
from app.reference.admin_categories import CategoryInput, save_category
from app.reference.admin_policies import edit_policy
from app.reference.seed import seed_reference_data
from app.users.service import create_user
from app.vocabulary import Role
from config.settings import REFERENCE_DIR

pytestmark = pytest.mark.mutates_reference


@pytest.fixture
def reference_copy(tmp_path: Path) -> Path:
    target = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, target)
    return target


@pytest.fixture
def admin(app: Flask) -> Actor:
    issued = create_user(session=db.session, username="rules-admin", role=Role.ADMIN, agency_code=None)
    return Actor(user_id=issued.user.id, username="rules-admin", role=Role.ADMIN)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _changes() -> list[AdminChange]:
    db.session.rollback()
    return list(db.session.scalars(select(AdminChange).order_by(AdminChange.id)))


def _fongshan() -> str:
    db.session.rollback()
    return db.session.scalar(select(District.name_en).where(District.code == "fongshan")) or ""


def test_a_rerun_reports_what_differs_and_keeps_the_database(app: Flask, reference_copy: Path) -> None:
    _edit(reference_copy / "districts.yaml", "Fongshan District", "Fengshan District")
    report = seed_reference_data(session=db.session, directory=reference_copy)
    assert report["districts.differs"] == 1 and not report["districts.updated"]
    assert _fongshan() == "Fongshan District"
    assert report.differences == [
        "districts fongshan: kept (database differs from the file; --force overwrites): "
        "name_en: database 'Fongshan District', file 'Fengshan District'"
    ]
    assert _changes() == []  # nothing changed, nothing logged


def test_force_overwrites_prints_the_differences_and_logs_them_by_the_command_line(
    app: Flask, reference_copy: Path
) -> None:
    _edit(reference_copy / "districts.yaml", "Fongshan District", "Fengshan District")
    runner = app.test_cli_runner()
    plain = runner.invoke(args=["seed", "--directory", str(reference_copy)])
    assert plain.exit_code == 0, plain.output
    assert "districts.differs 1" in plain.output and "`flask seed --force` overwrites them" in plain.output
    assert _fongshan() == "Fongshan District"
    forced = runner.invoke(args=["seed", "--directory", str(reference_copy), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "districts.updated 1" in forced.output
    assert "districts fongshan: overwritten: name_en: database 'Fongshan District', file 'Fengshan District'" in (
        forced.output
    )
    assert _fongshan() == "Fengshan District"
    (change,) = _changes()
    assert (change.actor_id, change.actor_name, change.object_type, change.object_key, change.action) == (
        None,
        COMMAND_LINE,
        "district",
        "fongshan",
        "updated",
    )
    assert (change.before["name_en"], change.after["name_en"]) == ("Fongshan District", "Fengshan District")


def test_what_is_new_in_the_files_is_added_and_logged(app: Flask, reference_copy: Path) -> None:
    _edit(
        reference_copy / "categories.yaml",
        "categories:\n",
        "categories:\n  - {code: beehive, name_zh: 蜂窩, name_en: Beehive, case_type: dispatch,"
        " default_agency: FIRE, urgent: true}\n",
    )
    report = seed_reference_data(session=db.session, directory=reference_copy)
    assert report["categories.created"] == 1 and report.differences == []
    (change,) = _changes()
    assert (change.object_type, change.object_key, change.action, change.before) == (
        "category",
        "beehive",
        "created",
        None,
    )
    assert change.after["default_agency"] == "FIRE" and change.after["case_type"] == "dispatch"


def test_edits_made_in_the_pages_survive_a_plain_seed_and_force_puts_the_files_back(app: Flask, admin: Actor) -> None:
    edit_policy(
        session=db.session,
        actor=admin,
        key="type:petition",
        seen_version=1,
        values={"acknowledge_within": "", "report_within": "8d", "warnings": "75%", "escalate_after": "1d"},
    )
    save_category(
        session=db.session,
        actor=admin,
        edited=CategoryInput("beehive", "蜂窩", "Beehive", "dispatch", True, "FIRE"),
        seen=None,
    )
    report = seed_reference_data(session=db.session, directory=REFERENCE_DIR)
    assert (report["sla_policies.differs"], report["categories.only_in_database"]) == (1, 1)
    assert any(line.startswith("sla_policies type:petition: kept") for line in report.differences)
    db.session.rollback()
    current = select(SlaPolicyVersion.version).where(SlaPolicyVersion.key == "type:petition", SlaPolicyVersion.current)
    assert db.session.scalar(current) == 2
    assert db.session.scalar(select(Category.active).where(Category.code == "beehive")) is True
    forced = seed_reference_data(session=db.session, directory=REFERENCE_DIR, force=True)
    assert (forced["sla_policies.updated"], forced["categories.deactivated"]) == (1, 1)
    db.session.rollback()
    assert db.session.scalar(current) == 3
    by_seed = [(c.object_type, c.object_key, c.action) for c in _changes() if c.actor_name == COMMAND_LINE]
    assert by_seed == [("category", "beehive", "deactivated"), ("sla_policy", "type:petition", "updated")]

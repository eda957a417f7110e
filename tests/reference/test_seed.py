"""`flask seed`: idempotent, updates in place, retires rather than deletes, and names bad lines."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.cases.actions import acknowledge_case
from app.db import db
from app.models import Agency, Category, District, RoutingRule
from app.reference.files import ReferenceFileError
from app.reference.seed import seed_reference_data
from config.settings import REFERENCE_DIR
from tests.factories import Factory

pytestmark = pytest.mark.mutates_reference


@pytest.fixture
def reference_copy(tmp_path: Path) -> Path:
    target = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, target)
    return target


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (District, Agency, Category, RoutingRule)
    )


def test_flask_seed_twice_changes_nothing(app: Flask) -> None:
    runner = app.test_cli_runner()
    before = _counts()
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "created" not in result.output and "updated" not in result.output
    assert _counts() == before == (38, 60, 41, 81)


def test_changed_rows_are_updated_in_place(app: Flask, reference_copy: Path) -> None:
    path = reference_copy / "districts.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Fongshan District", "Fengshan District"), encoding="utf-8"
    )
    report = seed_reference_data(session=db.session, directory=reference_copy, force=True)
    assert report["districts.updated"] == 1
    assert db.session.scalar(select(District.name_en).where(District.code == "fongshan")) == "Fengshan District"
    assert _counts()[0] == 38


def test_a_removed_category_that_cases_use_is_deactivated_not_deleted(factory: Factory, reference_copy: Path) -> None:
    case = factory.case(category_code="fallen_tree")
    path = reference_copy / "categories.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - code: fallen_tree")
    end = text.index("  - code:", start + 1)
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    # Its SLA policy still names it: the seed refuses, naming the line, until that goes too.
    with pytest.raises(ReferenceFileError, match=r"sla.yaml:\d+: unknown category 'fallen_tree'"):
        seed_reference_data(session=db.session, directory=reference_copy, force=True)
    policies = reference_copy / "sla.yaml"
    policies.write_text(
        "".join(line for line in policies.read_text(encoding="utf-8").splitlines(True) if "fallen_tree" not in line),
        encoding="utf-8",
    )
    report = seed_reference_data(session=db.session, directory=reference_copy, force=True)
    assert report["categories.deactivated"] == 1 and report["sla_policies.retired"] == 1
    category = db.session.scalar(select(Category).where(Category.code == "fallen_tree"))
    assert category is not None and category.active is False and case.category_id == category.id
    # A retired category is refused for new cases with a message naming it.
    assert (
        factory.agent.post(
            "/cases", json={"channel": "phone", "category": "fallen_tree", "district": "sanmin", "description": "樹倒"}
        ).status_code
        == 422
    )
    # Putting it back reactivates the same row.
    report = seed_reference_data(session=db.session, directory=REFERENCE_DIR, force=True)
    assert report["categories.updated"] == 1 and category.active is True


@pytest.mark.parametrize(
    ("file", "old", "new", "complaint"),
    [
        ("agencies.yaml", 'duty_phones: ["0912-000-101"]', "duty_phones: []", "needs at least one 'duty_phones'"),
        ("agencies.yaml", '"0912-000-101"', '"1999"', "not a valid phone number"),
        ("categories.yaml", "case_type: dispatch", "case_type: emergency", "case_type 'emergency'"),
        ("categories.yaml", "default_agency: PWD-MAINT", "default_agency: NOBODY", "unknown default_agency"),
        ("routing.yaml", "district: fongshan", "district: atlantis", "unknown district"),
        ("districts.yaml", "code: fongshan", "code: nanzi", "appears twice"),
        ("sla.yaml", "category: fallen_tree", "category: unicorns", "unknown category 'unicorns'"),
        ("sla.yaml", "report_within: 4h", "report_within: -4h", "should look like 15m, 4h or 6d"),
        (
            "sla.yaml",
            "{category: supervision_water, clock: wall, acknowledge_within: 30m, report_within: 24h",
            "{category: supervision_water, clock: wall, acknowledge_within: 30m, report_within: 13d",
            "over 12 days",
        ),
        ("sla.yaml", "{category: pothole,", "{agency: NOBODY, category: pothole,", "unknown agency"),
        ("alerts.yaml", "{call_duty_after: 10m,", "{call_duty_after: -10m,", "should look like"),
        ("alerts.yaml", "{category: traffic_incident,", "{category: unicorns,", "unknown category"),
        ("alerts.yaml", "{category: traffic_incident,", "{agency: NOBODY,", "unknown agency 'NOBODY'"),
        (
            "alerts.yaml",
            "{category: traffic_incident,",
            "{category: traffic_incident, agency: PWD-MAINT,",
            "a category or an agency, not both",
        ),
        (
            "alerts.yaml",
            "  - {category: traffic_incident,",
            "  - {category: traffic_incident, call_duty_after: 1m, call_supervisor_after: 1m, repeat_every: 1m}\n"
            "  - {category: traffic_incident,",
            "a second ladder for category:traffic_incident",
        ),
    ],
)
def test_bad_files_fail_with_the_line(
    app: Flask, reference_copy: Path, file: str, old: str, new: str, complaint: str
) -> None:
    path = reference_copy / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    before = _counts()
    with pytest.raises(ReferenceFileError, match=rf"{file}:\d+: .*{complaint}"):
        seed_reference_data(session=db.session, directory=reference_copy, force=True)
    assert _counts() == before
    result = app.test_cli_runner().invoke(args=["seed", "--directory", str(reference_copy)])
    assert result.exit_code != 0 and file in result.output


def test_a_changed_policy_gets_a_new_version_and_open_cases_keep_theirs(factory: Factory, reference_copy: Path) -> None:
    before = factory.case()
    path = reference_copy / "sla.yaml"
    old = "{category: fallen_tree, clock: wall, acknowledge_within: 15m, report_within: 4h"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, old.replace("report_within: 4h", "report_within: 3h")), encoding="utf-8")
    report = seed_reference_data(session=db.session, directory=reference_copy, force=True)
    assert report["sla_policies.updated"] == 1
    after = factory.case(description="又一棵倒樹")
    assert (before.sla_policy_version, after.sla_policy_version) == (1, 2)
    assert before.report_due_at is not None and after.report_due_at is not None
    assert before.report_due_at - before.received_at == timedelta(hours=4)
    assert after.report_due_at - after.received_at == timedelta(hours=3)
    # The older case is still measured by the version it got, whatever happens to it next.
    responder = factory.user("agency", agency=before.agency.code).actor
    again = acknowledge_case(session=db.session, actor=responder, case_no=before.case_no, version=before.version)
    assert again.report_due_at - again.received_at == timedelta(hours=4)

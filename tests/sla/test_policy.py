"""SLA policies: parsed from the reference file, checked against the national limits."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from config.settings import REFERENCE_DIR
from sla.policy import ClockKind, PolicyBook, PolicyError, build_policy, parse_window

CASE_TYPES = {"fallen_tree": "dispatch", "noise": "petition", "supervision_water": "supervision"}


def test_windows_read_as_people_write_them() -> None:
    assert parse_window("15m", ClockKind.WALL, "x") == timedelta(minutes=15)
    assert parse_window("4h", ClockKind.WALL, "x") == timedelta(hours=4)
    assert parse_window("6d", ClockKind.WORKING, "x") == timedelta(hours=48)  # six 8-hour working days
    assert parse_window("1d", ClockKind.WALL, "x") == timedelta(days=1)


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ({"category": "unicorns", "report_within": "4h"}, "unknown category"),
        ({"category": "fallen_tree", "report_within": "-4h"}, "should look like"),
        ({"category": "fallen_tree", "report_within": "0h"}, "longer than zero"),
        ({"category": "fallen_tree", "report_within": "4h", "acknowledge_within": "5h"}, "cannot be longer"),
        ({"category": "supervision_water", "report_within": "13d"}, "12 days"),
        ({"category": "supervision_water", "clock": "working", "report_within": "13d"}, "12 days"),
        ({"category": "fallen_tree", "clock": "lunar", "report_within": "4h"}, "clock must be"),
        ({"category": "fallen_tree", "report_within": "4h", "warnings": ["120%"]}, "between 0% and 100%"),
    ],
)
def test_bad_entries_are_refused_with_the_place(entry: dict, complaint: str) -> None:
    with pytest.raises(PolicyError, match=rf"sla.yaml:7: .*{complaint}"):
        build_policy(entry, where="sla.yaml:7", case_type_of=CASE_TYPES)


def test_an_agency_specific_policy_wins_over_the_category_default() -> None:
    general = build_policy(
        {"category": "noise", "clock": "working", "report_within": "6d"}, where="x", case_type_of=CASE_TYPES
    )
    special = build_policy(
        {"category": "noise", "agency": "EPB", "clock": "working", "report_within": "3d"},
        where="x",
        case_type_of=CASE_TYPES,
    )
    book = PolicyBook([general, special])
    assert book.for_case(category="noise", agency="EPB") is special
    assert book.for_case(category="noise", agency="POLICE") is general
    assert book.for_case(category="fallen_tree", agency=None) is None


def test_warnings_fall_where_the_file_says() -> None:
    policy = build_policy(
        {"category": "fallen_tree", "report_within": "4h", "warnings": ["75%", "30m"]},
        where="x",
        case_type_of=CASE_TYPES,
    )
    assert [warning.offset(policy.report_within) for warning in policy.warnings] == [
        timedelta(hours=3),
        timedelta(hours=3, minutes=30),
    ]


def test_the_shipped_file_is_valid_against_the_shipped_categories() -> None:
    categories = yaml.safe_load(Path(REFERENCE_DIR / "categories.yaml").read_text(encoding="utf-8"))["categories"]
    case_type_of = {entry["code"]: entry["case_type"] for entry in categories}
    entries = yaml.safe_load(Path(REFERENCE_DIR / "sla.yaml").read_text(encoding="utf-8"))["policies"]
    book = PolicyBook(
        build_policy(entry, where=f"sla.yaml#{index}", case_type_of=case_type_of) for index, entry in enumerate(entries)
    )
    fallen_tree = book.for_case(category="fallen_tree", agency="PWD-MAINT")
    assert fallen_tree is not None and fallen_tree.report_within == timedelta(hours=4)
    assert fallen_tree.acknowledge_within == timedelta(minutes=15)
    pothole = book.for_case(category="pothole", agency=None)
    assert pothole is not None and pothole.report_within == timedelta(hours=24)
    noise = book.for_case(category="noise", agency="EPB", case_type="petition")
    assert noise is not None and noise.clock is ClockKind.WORKING and noise.report_within == timedelta(hours=48)


def test_petitions_default_to_six_working_days_by_case_type() -> None:
    policy = build_policy(
        {"case_type": "petition", "clock": "working", "report_within": "6d"}, where="x", case_type_of=CASE_TYPES
    )
    book = PolicyBook([policy])
    assert book.for_case(category="noise", agency="EPB", case_type="petition") is policy
    assert policy.report_within == timedelta(hours=48) and policy.clock is ClockKind.WORKING
    with pytest.raises(PolicyError, match="unknown case_type"):
        build_policy({"case_type": "gossip", "report_within": "6d"}, where="x", case_type_of=CASE_TYPES)

"""The report's pure definitions: months in Taipei time, ROC names, nearest rank, the minimum-volume rule, changes."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.reports.months import BadMonth, Month
from app.reports.rules import MIN_VOLUME, change, change_pct, differences, nearest_rank, rank_agencies, rate

TZ = ZoneInfo("Asia/Taipei")


def test_a_month_runs_from_taipei_midnight_to_taipei_midnight() -> None:
    july = Month.parse("2023-07")
    assert july.start(TZ) == datetime(2023, 6, 30, 16, tzinfo=UTC)
    assert july.end(TZ) == datetime(2023, 7, 31, 16, tzinfo=UTC)
    # 23:30 on July 31 in Taipei is 15:30 UTC: still July.
    assert Month.of(datetime(2023, 7, 31, 15, 30, tzinfo=UTC), TZ) == july
    assert Month.of(datetime(2023, 7, 31, 16, 0, tzinfo=UTC), TZ) == Month(2023, 8)


def test_neighbours_roc_names_and_lengths() -> None:
    assert (str(Month(2023, 1).previous()), str(Month(2023, 12).next()), str(Month(2024, 2).year_before())) == (
        "2022-12",
        "2024-01",
        "2023-02",
    )
    assert Month(2023, 7).roc == "112年7月"
    assert Month(2024, 2).days == 29
    assert [str(m) for m in Month(2023, 2).trailing(3)] == ["2022-12", "2023-01", "2023-02"]


@pytest.mark.parametrize("text", ["2023-13", "2023-00", "2023-7", "23-07", "", "2023/07", "1900-01"])
def test_malformed_months_are_refused(text: str) -> None:
    with pytest.raises(BadMonth):
        Month.parse(text)


def test_nearest_rank_is_the_smallest_value_with_p_percent_at_or_below() -> None:
    assert nearest_rank([], 50) is None
    assert nearest_rank([7], 90) == 7
    assert nearest_rank([1, 2, 3, 4], 50) == 2  # rank ceil(2) = 2
    assert nearest_rank([1, 2, 3, 4, 5], 50) == 3  # rank ceil(2.5) = 3
    assert nearest_rank(range(1, 11), 90) == 9
    assert nearest_rank(range(1, 12), 90) == 10  # rank ceil(9.9) = 10
    for n in range(1, 200):
        assert nearest_rank(range(n), 90) == math.ceil(0.9 * n) - 1


def test_small_samples_are_flagged_not_ranked_and_ties_share_a_rank() -> None:
    rows = [
        {"agency": "TINY", "small_sample": True, "report_on_time_pct": 100.0},
        {"agency": "B", "small_sample": False, "report_on_time_pct": 90.0},
        {"agency": "A", "small_sample": False, "report_on_time_pct": 95.5},
        {"agency": "C", "small_sample": False, "report_on_time_pct": 90.0},
        {"agency": "D", "small_sample": False, "report_on_time_pct": 80.0},
        {"agency": "NONE", "small_sample": False, "report_on_time_pct": None},
    ]
    assert rank_agencies(rows) == {"TINY": None, "A": 1, "B": 2, "C": 2, "D": 4, "NONE": None}
    assert MIN_VOLUME == 30


def test_rates_and_changes() -> None:
    assert rate(2, 3) == 66.7
    assert rate(0, 0) is None
    assert change(96.7, 90.0) == 6.7
    assert change(30, 1) == 29
    assert change(None, 3) is None
    assert change_pct(30, 20) == 50.0
    assert change_pct(5, 0) is None


def test_differences_match_list_rows_by_key() -> None:
    frozen = {"cases": {"total": 35}, "agencies": [{"key": "A", "received": 30}, {"key": "B", "received": 1}]}
    live = {"cases": {"total": 36}, "agencies": [{"key": "A", "received": 31}, {"key": "C", "received": 2}]}
    assert differences(frozen, live) == [
        {"path": "agencies.A.received", "frozen": 30, "live": 31},
        {"path": "agencies.B", "frozen": {"key": "B", "received": 1}, "live": None},
        {"path": "agencies.C", "frozen": None, "live": {"key": "C", "received": 2}},
        {"path": "cases.total", "frozen": 35, "live": 36},
    ]

"""Times as people read them: the ROC calendar and Asia/Taipei."""

from __future__ import annotations

from datetime import UTC, datetime

from app.present.times import local_iso, roc_date, roc_datetime, roc_month
from tests.conftest import TZ


def test_a_utc_moment_is_shown_in_taipei_with_the_roc_year() -> None:
    late_evening_utc = datetime(2026, 11, 30, 16, 5, tzinfo=UTC)  # 00:05 on 1 December in Taipei
    assert roc_datetime(late_evening_utc, TZ) == "115/12/01 00:05"
    assert roc_date(late_evening_utc, TZ) == "115/12/01"
    assert local_iso(late_evening_utc, TZ) == "2026-12-01T00:05:00+08:00"


def test_a_report_month_is_dated_by_the_roc_year() -> None:
    assert roc_month(2023, 7) == "112年7月"


def test_nothing_to_show_is_an_empty_string() -> None:
    assert roc_datetime(None, TZ) == roc_date(None, TZ) == ""

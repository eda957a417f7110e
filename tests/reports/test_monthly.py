"""The monthly report on a hand-built July 2023: every figure worked out by hand (tests/reports/scenario.py)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from app.db import db
from app.errors import InvalidInput
from app.models import Case
from app.reports import aggregates as agg
from app.reports.monthly import check_month, monthly_report, parse_month
from app.reports.rules import rate
from app.reports.tables import Words, report_tables
from tests.factories import Factory
from tests.reports.scenario import TZ, at, build_july, fresh

NOW = at(8, 15, 12)


@pytest.fixture
def july(app: Flask, factory: Factory) -> dict[str, str]:
    return build_july(factory)


def _report(month: str = "2023-07") -> dict[str, Any]:
    return monthly_report(db.session, parse_month(month), tz=TZ, now=NOW)


def _agency(report: dict[str, Any], code: str) -> dict[str, Any]:
    return next(row for row in report["agencies"] if row["key"] == code)


def test_clock_readings_are_on_the_cases_own_clock(july: dict[str, str]) -> None:
    # Paused 10 of 12 hours; the petition ran Friday 16:30 → Monday 09:30 = 2 working hours.
    assert fresh(july["paused"]).report_clock_seconds == 2 * 3600
    assert fresh(july["petition"]).report_clock_seconds == 2 * 3600
    assert fresh(july["petition"]).report_window_seconds == 6 * 8 * 3600
    # The extension moved the window from 4 to 8 hours; the returned case is measured on its new round.
    assert (fresh(july["extended"]).report_clock_seconds, fresh(july["extended"]).report_window_seconds) == (
        6 * 3600,
        8 * 3600,
    )
    assert (fresh(july["returned"]).ack_clock_seconds, fresh(july["returned"]).report_clock_seconds) == (1200, 3600)
    # The re-routed case is measured from WRB's own round (09:00), not from the call (08:00).
    assert (fresh(july["rerouted"]).ack_clock_seconds, fresh(july["rerouted"]).report_clock_seconds) == (600, 3 * 3600)


def test_per_agency_figures_worked_by_hand(july: dict[str, str]) -> None:
    report = _report()
    pwd = _agency(report, "PWD-MAINT")
    # 25 routine + boundary (Jul 31 23:30) + paused + extended + returned + overdue; the re-routed case
    # is WRB's, the merged one nobody's, the June and August ones other months'.
    assert pwd["received"] == 30
    # Acknowledged within 15 minutes: routine i = 1..15, paused, extended, overdue (5 min) = 18 of 30;
    # late: routine 16..25, boundary (40 min), returned (20 min into its new round).
    assert (pwd["ack_on_time"], pwd["ack_measured"], pwd["ack_on_time_pct"]) == (18, 30, 60.0)
    # Reported within the window: all but the overdue one, which counts as missed: 29 of 30.
    assert (pwd["report_on_time"], pwd["report_measured"], pwd["report_on_time_pct"]) == (29, 30, 96.7)
    # Nearest rank over 30 acknowledgements (60..1500 s routine, 300 ×3, 1200, 2400): 15th and 27th.
    assert (pwd["ack_p50_s"], pwd["ack_p90_s"]) == (720, 1380)
    # Over 29 reports (3600, 7200, 7260..8700 routine, 10800, 21600): 15th and 27th.
    assert (pwd["report_p50_s"], pwd["report_p90_s"]) == (7980, 8700)
    assert (pwd["overdue_open"], pwd["reported_late"]) == (1, 0)
    assert (pwd["rerouted_away"], pwd["returned"], pwd["extended"]) == (1, 1, 1)
    assert (pwd["small_sample"], pwd["rank"]) == (False, 1)

    wrb = _agency(report, "WRB")
    assert (wrb["received"], wrb["ack_on_time_pct"], wrb["report_on_time_pct"]) == (1, 100.0, 100.0)
    # A perfect score on one case does not top the table: flagged, not ranked.
    assert (wrb["small_sample"], wrb["rank"]) == (True, None)
    epb = _agency(report, "EPB")
    # A petition has no acknowledgement window: nothing to measure there.
    assert (epb["received"], epb["ack_on_time_pct"], epb["report_on_time_pct"]) == (1, None, 100.0)
    assert report["agencies"][0]["key"] == "PWD-MAINT"

    totals = report["totals"]
    assert (totals["received"], totals["report_on_time"], totals["report_measured"]) == (32, 31, 32)


def test_volume_worked_by_hand(july: dict[str, str]) -> None:
    report = _report()
    by_type = {row["key"]: row["count"] for row in report["cases"]["by_type"]}
    assert by_type == {"dispatch": 32, "petition": 1, "consultation": 2, "supervision": 0, "other": 0}
    assert report["cases"]["total"] == 35
    calls = {row["key"]: row["count"] for row in report["calls"]["by_outcome"]}
    assert (calls["consultation_answered"], calls["hung_up"], report["calls"]["total"]) == (2, 1, 3)
    assert report["calls"]["daily_average"] == round(3 / 31, 1)
    # 2 answered on the line + 1 answered at intake, of 2 + 2 consultations.
    assert report["consultations"] == {"total": 4, "answered_on_spot": 3, "on_spot_pct": 75.0}
    assert report["roc_month"] == "112年7月"
    assert report["satisfaction"] is None


def test_change_against_the_previous_month_and_last_year(july: dict[str, str]) -> None:
    report = _report()
    pwd = _agency(report, "PWD-MAINT")
    assert pwd["vs_previous"]["received"] == 29  # June had the one case of June 30 23:50
    assert pwd["vs_last_year"]["received"] is None  # July 2022 had nothing
    previous = report["comparison"]["previous"]
    assert previous["month"] == "2023-06"
    assert previous["cases"] == {"value": 1, "change": 34, "change_pct": 3400.0}
    trend = {point["key"]: point for point in report["trend"]}
    assert (trend["2023-06"]["cases"], trend["2023-07"]["cases"], len(trend)) == (1, 35, 12)
    # The trend's rate is the totals' rate: 31 of 32 (the overdue case counts as missed).
    assert (trend["2023-07"]["report_on_time_pct"], report["totals"]["report_on_time_pct"]) == (96.9, 96.9)


def test_the_trend_takes_this_and_last_month_from_their_figures_and_they_are_the_series_own(
    july: dict[str, str],
) -> None:
    # August's report reuses July's and August's own figures for its trend: the same as counting them apart.
    report = monthly_report(db.session, parse_month("2023-08"), tz=TZ, now=NOW)
    months = [parse_month("2023-07"), parse_month("2023-08")]
    cases, calls, reports = agg.monthly_series(db.session, [(m.start(TZ), m.end(TZ)) for m in months], NOW)
    assert [(p["cases"], p["calls"], p["report_on_time_pct"]) for p in report["trend"][-2:]] == [
        (cases[index], calls[index], rate(*reports[index])) for index in range(2)
    ]
    assert report["trend"][-2]["cases"] == 35 and report["trend"][-2]["report_on_time_pct"] == 96.9


def test_both_clocks_percentiles_at_once_are_each_clocks_own(july: dict[str, str]) -> None:
    # PostgreSQL reads them in one statement (GROUPING SETS); the figures are those of one clock at a time.
    month = parse_month("2023-07")
    start, end = month.start(TZ), month.end(TZ)
    both = agg.clock_percentiles(db.session, start, end)
    for name, column in (("ack", Case.ack_clock_seconds), ("report", Case.report_clock_seconds)):
        alone = agg.percentiles(db.session, column, start, end)
        alone.update(agg.percentiles(db.session, column, start, end, by_agency=False))
        assert both[name] == alone and None in alone and len(alone) > 2, name


def test_august_holds_the_case_of_august_first(july: dict[str, str]) -> None:
    august = monthly_report(db.session, parse_month("2023-08"), tz=TZ, now=NOW)
    assert august["cases"]["total"] == 1
    assert august["complete"] is False


def test_a_month_without_call_records_counts_zero_calls_and_says_so(july: dict[str, str]) -> None:
    # June has the case of June 30 23:50 and no call: the calls table shows zeros and says why.
    june = monthly_report(db.session, parse_month("2023-06"), tz=TZ, now=NOW)
    assert (june["cases"]["total"], june["calls"]["total"]) == (1, 0)
    calls = next(table for table in report_tables(june, Words()) if table.key == "calls")
    assert calls.note == "本月沒有來電紀錄，來電以零計。"
    assert [row[1] for row in calls.rows] == [0] * len(calls.rows)
    english = next(table for table in report_tables(june, Words("en")) if table.key == "calls")
    assert english.note == "No calls were recorded this month: calls count as zero."
    july_calls = next(table for table in report_tables(_report(), Words()) if table.key == "calls")
    assert july_calls.note == ""


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2023-13", "report.bad_month"),
        ("july", "report.bad_month"),
        ("2023-09", "report.future_month"),
        ("2023-05", "report.no_data"),
    ],
)
def test_bad_months_are_refused_with_a_reason(july: dict[str, str], text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_month(db.session, parse_month(text), tz=TZ, now=NOW)
    assert refused.value.code == code

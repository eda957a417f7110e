"""The government calendar: weekends, holidays, make-up workdays and typhoon days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    DayKind,
    GovernmentCalendar,
    Override,
    SourceDay,
    YearOutOfRange,
    YearTable,
    check_range,
)
from sla.clock import DEFAULT_WORKING_HOURS, WorkingClock, add

TZ = ZoneInfo("Asia/Taipei")


def test_lunar_new_year_2025_is_off_and_its_makeup_saturday_is_worked() -> None:
    calendar = GovernmentCalendar()
    assert [calendar.is_working_day(date(2025, 1, day)) for day in range(27, 32)] == [False] * 5
    assert calendar.describe(date(2025, 2, 8)).kind is DayKind.MAKEUP_WORKDAY
    assert calendar.is_working_day(date(2025, 2, 8))
    assert calendar.describe(date(2026, 2, 16)).name == "農曆除夕"


def test_ordinary_weekends_and_weekdays() -> None:
    calendar = GovernmentCalendar()
    assert calendar.describe(date(2025, 3, 8)).kind is DayKind.WEEKEND  # Women's Day falls on a Saturday
    assert calendar.is_working_day(date(2025, 3, 10))
    assert calendar.next_working_day(date(2025, 1, 24)) == date(2025, 2, 3)


def test_a_typhoon_day_overrides_the_official_calendar() -> None:
    calendar = GovernmentCalendar([Override(date(2024, 7, 25), working=False, reason="凱米颱風停班")])
    described = calendar.describe(date(2024, 7, 25))
    assert described.kind is DayKind.CLOSED and described.name == "凱米颱風停班"
    assert not calendar.is_working_day(date(2024, 7, 25))
    assert GovernmentCalendar().is_working_day(date(2024, 7, 25))


def test_a_year_lists_every_day_once() -> None:
    days = GovernmentCalendar().year(2025)
    assert len(days) == 365 and days[0].day == date(2025, 1, 1)
    assert sum(day.is_working for day in days) == 247


def test_the_day_before_the_eve_and_its_observed_day_have_their_own_name() -> None:
    calendar = GovernmentCalendar()
    assert calendar.describe(date(2026, 2, 15)).name == "除夕前一日"
    assert calendar.describe(date(2026, 2, 16)).name == "農曆除夕"
    assert calendar.describe(date(2026, 2, 20)).name == "除夕前一日（補假）"
    assert not calendar.is_working_day(date(2026, 2, 20))


def test_years_the_calendar_cannot_know_are_refused_not_guessed() -> None:
    calendar = GovernmentCalendar()
    for year in (FIRST_YEAR - 1, LAST_YEAR + 1):
        with pytest.raises(YearOutOfRange):
            calendar.year(year)
        with pytest.raises(YearOutOfRange):
            calendar.is_working_day(date(year, 3, 2))
    assert len(calendar.year(FIRST_YEAR)) == 365 and len(calendar.year(LAST_YEAR)) == 365


def test_a_far_year_on_the_working_clock_is_a_clear_error_not_a_recursion() -> None:
    clock = WorkingClock(GovernmentCalendar(), TZ)
    with pytest.raises(YearOutOfRange):
        add(clock, datetime(2101, 3, 1, 9, 0, tzinfo=TZ), timedelta(hours=8))
    with pytest.raises(YearOutOfRange):
        add(clock, datetime(1990, 3, 1, 9, 0, tzinfo=TZ), timedelta(hours=8))
    # The edges of the range still count, from either side of the clock's origin.
    assert add(clock, datetime(2100, 3, 2, 9, 0, tzinfo=TZ), timedelta(hours=1)) == datetime(
        2100, 3, 2, 10, 0, tzinfo=TZ
    )
    assert add(clock, datetime(1998, 3, 2, 9, 0, tzinfo=TZ), timedelta(hours=1)) == datetime(
        1998, 3, 2, 10, 0, tzinfo=TZ
    )


def test_an_afternoon_closure_keeps_the_morning() -> None:
    afternoon = Override(date(2024, 7, 24), working=False, reason="凱米颱風下午停班", start=time(13, 30))
    calendar = GovernmentCalendar([afternoon])
    described = calendar.describe(date(2024, 7, 24))
    assert described.kind is DayKind.PARTLY_CLOSED and described.start == time(13, 30) and described.end is None
    assert calendar.working_spans(date(2024, 7, 24), DEFAULT_WORKING_HOURS) == [
        (timedelta(hours=8.5), timedelta(hours=12.5))
    ]
    until_noon = GovernmentCalendar([Override(date(2024, 7, 24), False, "上午停班", end=time(12, 0))])
    assert until_noon.working_spans(date(2024, 7, 24), DEFAULT_WORKING_HOURS) == [
        (timedelta(hours=12), timedelta(hours=12.5)),
        (timedelta(hours=13.5), timedelta(hours=17.5)),
    ]
    # Opening part of a Saturday counts the working hours inside the range only.
    saturday = GovernmentCalendar([Override(date(2024, 7, 27), True, "補上班半天", end=time(12, 0))])
    assert saturday.describe(date(2024, 7, 27)).kind is DayKind.PARTLY_OPENED
    assert saturday.working_spans(date(2024, 7, 27), DEFAULT_WORKING_HOURS) == [
        (timedelta(hours=8.5), timedelta(hours=12))
    ]


def test_a_range_must_hold_time_and_stay_in_its_day() -> None:
    check_range(time(13, 30), None)
    check_range(None, time(12, 0))
    for start, end in ((time(13, 30), time(13, 30)), (time(18, 0), time(8, 0))):
        with pytest.raises(ValueError, match="empty or crosses midnight"):
            check_range(start, end)


def test_a_year_is_estimated_until_an_official_one_is_given() -> None:
    official = YearTable.of(2027, "行政院人事行政總處", {date(2027, 2, 3): SourceDay(True, "調整放假")}, official=True)
    calendar = GovernmentCalendar(official=[official])
    assert calendar.is_estimated(2026) and not calendar.is_estimated(2027)
    assert calendar.describe(date(2027, 2, 3)).kind is DayKind.HOLIDAY
    # The official year is the whole truth: the rules' holidays no longer count in it.
    assert calendar.is_working_day(date(2027, 1, 1))
    assert calendar.table(2027).source == "行政院人事行政總處"

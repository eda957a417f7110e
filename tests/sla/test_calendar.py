"""The government calendar: weekends, holidays, make-up workdays and typhoon days."""

from __future__ import annotations

from datetime import date

from sla.calendar import DayKind, GovernmentCalendar, Override


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

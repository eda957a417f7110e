"""The government office calendar: which days are working days. Pure: no Flask, no database.

Weekends, national holidays with their observed days, and make-up workdays (補班) come
from the `holidays` package's Taiwan calendar; what it cannot know — a typhoon closure
(停班) declared on the day, a late change to the official calendar — comes as overrides.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays


class DayKind(enum.StrEnum):
    WORKING = "working"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    MAKEUP_WORKDAY = "makeup_workday"  # 補班: a Saturday that is worked
    CLOSED = "closed"  # override: 停班, e.g. a typhoon day
    OPENED = "opened"  # override: declared a working day after all


@dataclass(frozen=True)
class Override:
    """An administrator's correction to the calendar for one day."""

    day: date
    working: bool
    reason: str


@dataclass(frozen=True)
class CalendarDay:
    day: date
    kind: DayKind
    name: str | None = None

    @property
    def is_working(self) -> bool:
        return self.kind in (DayKind.WORKING, DayKind.MAKEUP_WORKDAY, DayKind.OPENED)


@lru_cache(maxsize=64)
def _taiwan(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("TW", years=year, language="zh_TW")


class GovernmentCalendar:
    """Working days of the national government offices, with this city's overrides on top."""

    def __init__(self, overrides: Iterable[Override] = ()) -> None:
        self._overrides = {override.day: override for override in overrides}
        self._key = frozenset(self._overrides.values())

    # Equal overrides make equal calendars, so clocks built on them share their cached tables.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, GovernmentCalendar) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    @property
    def overrides(self) -> list[Override]:
        return sorted(self._overrides.values(), key=lambda override: override.day)

    def describe(self, day: date) -> CalendarDay:
        override = self._overrides.get(day)
        if override is not None:
            return CalendarDay(day, DayKind.OPENED if override.working else DayKind.CLOSED, override.reason)
        official = _taiwan(day.year)
        if day in official.weekend_workdays:
            return CalendarDay(day, DayKind.MAKEUP_WORKDAY)
        if day in official:
            return CalendarDay(day, DayKind.HOLIDAY, official.get(day))
        if official.is_weekend(day):
            return CalendarDay(day, DayKind.WEEKEND)
        return CalendarDay(day, DayKind.WORKING)

    def is_working_day(self, day: date) -> bool:
        return self.describe(day).is_working

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        candidate = day + timedelta(days=1)
        while not self.is_working_day(candidate):
            candidate += timedelta(days=1)
        return candidate

    def year(self, year: int) -> list[CalendarDay]:
        first = date(year, 1, 1)
        return [self.describe(first + timedelta(days=offset)) for offset in range((date(year + 1, 1, 1) - first).days)]

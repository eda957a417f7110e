"""The government office calendar: which days, and which hours of them, are working time. Pure.

A year's days come from the government's official calendar when one was imported
(sla/official.py), and are otherwise *estimated* by a holiday source — by default the
`holidays` package's Taiwan calendar, which for future years follows the rules without
the bridge days and make-up Saturdays decided each June. What neither can know — a
typhoon closure (停班) for the day or its afternoon — comes as overrides, always on top.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from functools import lru_cache
from importlib.metadata import version as package_version
from typing import Protocol

import holidays

# The `holidays` package's Taiwan calendar starts in 1998 and stops after 2100.
FIRST_YEAR, LAST_YEAR = 1998, 2100
DAY = timedelta(days=1)
Span = tuple[timedelta, timedelta]  # from, until: offsets since midnight


class YearOutOfRange(ValueError):
    """A year the calendar cannot say anything true about."""

    def __init__(self, year: int) -> None:
        super().__init__(f"the government calendar covers {FIRST_YEAR} to {LAST_YEAR}, not {year}")
        self.year = year


def check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise YearOutOfRange(year)


class DayKind(enum.StrEnum):
    WORKING = "working"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    MAKEUP_WORKDAY = "makeup_workday"  # 補班: a Saturday that is worked
    CLOSED = "closed"  # override: 停班, e.g. a typhoon day
    OPENED = "opened"  # override: declared a working day after all
    PARTLY_CLOSED = "partly_closed"  # override: closed for part of the day (今天下午停班)
    PARTLY_OPENED = "partly_opened"  # override: open for part of an otherwise free day


@dataclass(frozen=True)
class Override:
    """An administrator's correction for one day: the whole day, or from `start` until `end`
    (None: from midnight, until midnight)."""

    day: date
    working: bool
    reason: str
    start: time | None = None
    end: time | None = None

    @property
    def partial(self) -> bool:
        return self.start is not None or self.end is not None

    @property
    def span(self) -> Span:
        return (_offset(self.start) if self.start else timedelta(0), _offset(self.end) if self.end else DAY)


def check_range(start: time | None, end: time | None) -> None:
    """A partial range must hold some time and stay within its day (an end at midnight is None)."""
    begin, until = (_offset(start) if start else timedelta(0)), (_offset(end) if end else DAY)
    if until <= begin:
        raise ValueError("the range is empty or crosses midnight")


@dataclass(frozen=True)
class CalendarDay:
    day: date
    kind: DayKind
    name: str | None = None
    start: time | None = None  # for a partial override: the range it covers
    end: time | None = None

    @property
    def is_working(self) -> bool:
        return self.kind not in (DayKind.WEEKEND, DayKind.HOLIDAY, DayKind.CLOSED)


@dataclass(frozen=True)
class SourceDay:
    """A day that is not what the weekend rule says (a weekday off, a worked Saturday), or a named one."""

    off: bool
    name: str | None = None


@dataclass(frozen=True)
class YearTable:
    """One year of the calendar as a source gives it: only the days that need saying."""

    year: int
    source: str  # where it comes from, e.g. "holidays 0.109" or the official file's title
    official: bool
    entries: tuple[tuple[date, SourceDay], ...]
    _days: dict[date, SourceDay] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_days", dict(self.entries))

    @classmethod
    def of(cls, year: int, source: str, days: Mapping[date, SourceDay], *, official: bool) -> YearTable:
        return cls(year, source, official, tuple(sorted(days.items())))

    def get(self, day: date) -> SourceDay | None:
        return self._days.get(day)

    def digest(self) -> str:
        """A fingerprint of what the year says (not where it comes from)."""
        text = "\n".join(f"{day.isoformat()} {int(entry.off)} {entry.name or ''}" for day, entry in self.entries)
        return hashlib.sha256(text.encode()).hexdigest()


class HolidaySource(Protocol):
    """Where estimated years come from; a new version may say other things about a year."""

    @property
    def version(self) -> str: ...

    def table(self, year: int) -> YearTable: ...


_PACKAGE_VERSION = f"holidays {package_version('holidays')}"


class PackageSource:
    """The `holidays` package's Taiwan calendar, with the names the government uses."""

    @property
    def version(self) -> str:
        return _PACKAGE_VERSION

    def table(self, year: int) -> YearTable:
        return _package_table(year, self.version)


@lru_cache(maxsize=256)
def _package_table(year: int, version: str) -> YearTable:
    check_year(year)
    package = holidays.country_holidays("TW", years=year, language="zh_TW")
    days = {day: SourceDay(True, str(name)) for day, name in package.items()}
    days.update({day: SourceDay(False, "補行上班") for day in package.weekend_workdays if day.year == year})
    return YearTable.of(year, version, _eve_names(days), official=False)


_EVE, _EVE_OBSERVED = "農曆除夕", "農曆除夕（補假）"


def _eve_names(days: dict[date, SourceDay]) -> dict[date, SourceDay]:
    """The package calls the day before the eve (除夕前一日, a holiday since 2025) 農曆除夕 too, and
    its observed day 農曆除夕（補假）: give them their own name."""
    eves = sorted(day for day, entry in days.items() if entry.name == _EVE)
    if len(eves) != 2 or eves[1] - eves[0] != DAY:
        return days
    renamed = dict(days)
    renamed[eves[0]] = SourceDay(True, "除夕前一日")
    # Observed days follow in the order of the weekend days they make up for.
    owners = ["除夕前一日" if day == eves[0] else _EVE for day in eves if day.weekday() >= 5]
    observed = sorted(day for day, entry in days.items() if entry.name == _EVE_OBSERVED)
    for day, owner in zip(observed, owners, strict=False):
        renamed[day] = SourceDay(True, f"{owner}（補假）")
    return renamed


PACKAGE = PackageSource()


def _offset(moment: time) -> timedelta:
    return timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second, microseconds=moment.microsecond)


def _minus(spans: Iterable[Span], cut: Span) -> list[Span]:
    kept: list[Span] = []
    for begin, end in spans:
        if begin < cut[0]:
            kept.append((begin, min(end, cut[0])))
        if end > cut[1]:
            kept.append((max(begin, cut[1]), end))
    return kept


def _within(spans: Iterable[Span], window: Span) -> list[Span]:
    clipped = ((max(begin, window[0]), min(end, window[1])) for begin, end in spans)
    return [(begin, end) for begin, end in clipped if end > begin]


class GovernmentCalendar:
    """Working days and hours of the national government offices, with this city's overrides on top."""

    def __init__(
        self,
        overrides: Iterable[Override] = (),
        *,
        official: Iterable[YearTable] = (),
        source: HolidaySource = PACKAGE,
    ) -> None:
        self._overrides = {override.day: override for override in overrides}
        self._official = {table.year: table for table in official}
        self.source = source
        self._key = (frozenset(self._overrides.values()), frozenset(self._official.values()), source)

    # Equal truths make equal calendars, so clocks built on them share their cached tables.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, GovernmentCalendar) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    @property
    def overrides(self) -> list[Override]:
        return sorted(self._overrides.values(), key=lambda override: override.day)

    def table(self, year: int) -> YearTable:
        """The year as the calendar takes it: the official one if imported, else the source's estimate."""
        check_year(year)
        return self._official.get(year) or self.source.table(year)

    def is_estimated(self, year: int) -> bool:
        return year not in self._official

    def base(self, day: date) -> CalendarDay:
        """The day as the official calendar or the source says, before any override."""
        entry = self.table(day.year).get(day)
        weekend = day.weekday() >= 5
        if entry is None:
            return CalendarDay(day, DayKind.WEEKEND if weekend else DayKind.WORKING)
        if entry.off:
            return CalendarDay(day, DayKind.HOLIDAY if entry.name or not weekend else DayKind.WEEKEND, entry.name)
        return CalendarDay(day, DayKind.MAKEUP_WORKDAY if weekend else DayKind.WORKING, entry.name)

    def describe(self, day: date) -> CalendarDay:
        override = self._overrides.get(day)
        if override is None:
            return self.base(day)
        check_year(day.year)
        if not override.partial:
            return CalendarDay(day, DayKind.OPENED if override.working else DayKind.CLOSED, override.reason)
        kind = DayKind.PARTLY_OPENED if override.working else DayKind.PARTLY_CLOSED
        return CalendarDay(day, kind, override.reason, override.start, override.end)

    def working_spans(self, day: date, hours: Iterable[tuple[time, time]]) -> list[Span]:
        """The parts of the working hours that count on this day."""
        office = [(_offset(begin), _offset(end)) for begin, end in hours]
        override = self._overrides.get(day)
        if override is not None and not override.partial:
            check_year(day.year)
            return office if override.working else []
        usual = office if self.base(day).is_working else []
        if override is None:
            return usual
        if not override.working:
            return _minus(usual, override.span)
        return usual or _within(office, override.span)

    def is_working_day(self, day: date) -> bool:
        return self.describe(day).is_working

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        candidate = day + DAY
        while not self.is_working_day(candidate):
            candidate += DAY
        return candidate

    def year(self, year: int) -> list[CalendarDay]:
        check_year(year)
        first = date(year, 1, 1)
        return [self.describe(first + timedelta(days=offset)) for offset in range((date(year + 1, 1, 1) - first).days)]

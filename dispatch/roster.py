"""Duty rosters (值班表): who of an agency is on duty at an instant. Pure.

The rule, as the roster page states it:
1. A one-off override (leave cover, typhoon standby) that covers the instant beats the weekly
   rotation: while any override of the agency covers it, only the overrides are on duty.
2. Otherwise the weekly entries that cover the instant are on duty; overlapping entries are
   all on duty together (both phones get the SMS), nobody silently wins.
3. A weekly entry is for day tokens: a weekday (mon … sun), or `holiday` / `makeup` for the
   government calendar's holidays and make-up workdays (補班日), which replace the weekday's
   entries on those days. A shift that ends at or before its start ends the next morning and
   belongs to the day it starts on.
4. Nobody on duty: the caller falls back to the agency's duty phones.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOLIDAY = "holiday"
MAKEUP = "makeup"
DAY_TOKENS = (*WEEKDAYS, HOLIDAY, MAKEUP)
LOOK_AHEAD = timedelta(days=8)  # how far `next_change` looks for the next shift


class DayType(enum.StrEnum):
    """What the government calendar says of a day, as far as a roster cares."""

    USUAL = "usual"  # what its weekday says: a workday Mon–Fri, a weekend day Sat–Sun
    HOLIDAY = "holiday"  # a day off that would otherwise be worked (national holiday, typhoon closure)
    MAKEUP = "makeup"  # a worked day that would otherwise be off (補班日)


@dataclass(frozen=True)
class WeeklyEntry:
    """A recurring shift: on each of `days`, from `start` for `hours` (a night shift crosses midnight)."""

    key: int
    name: str
    phone: str
    days: frozenset[str]
    start: time
    end: time

    @property
    def length(self) -> timedelta:
        begin = timedelta(hours=self.start.hour, minutes=self.start.minute)
        until = timedelta(hours=self.end.hour, minutes=self.end.minute)
        return until - begin if until > begin else until - begin + timedelta(days=1)


@dataclass(frozen=True)
class OverrideEntry:
    """A one-off duty from `starts_at` until `ends_at` (local, naive wall time of the city)."""

    key: int
    name: str
    phone: str
    starts_at: datetime
    ends_at: datetime


Entry = WeeklyEntry | OverrideEntry
DayTypeOf = Callable[[date], DayType]


def token_of(day: date, day_type: DayType) -> str:
    """The one day token a day answers to: its weekday, or holiday / makeup when the calendar says so."""
    if day_type is DayType.HOLIDAY:
        return HOLIDAY
    if day_type is DayType.MAKEUP:
        return MAKEUP
    return WEEKDAYS[day.weekday()]


def shifts_of(entry: WeeklyEntry, day: date, day_type: DayType) -> list[tuple[datetime, datetime]]:
    """The interval (local) the entry covers when it starts on `day`, if it applies that day."""
    if token_of(day, day_type) not in entry.days:
        return []
    begin = datetime.combine(day, entry.start)
    return [(begin, begin + entry.length)]


def on_duty(
    at: datetime, weekly: Iterable[WeeklyEntry], overrides: Iterable[OverrideEntry], day_type: DayTypeOf
) -> list[Entry]:
    """The entries on duty at `at` (local): the covering overrides if any, else the covering weekly entries."""
    covering = sorted(
        (entry for entry in overrides if entry.starts_at <= at < entry.ends_at), key=lambda e: (e.starts_at, e.key)
    )
    if covering:
        return list(covering)
    weekly = list(weekly)
    found: list[WeeklyEntry] = []
    for day in (at.date() - timedelta(days=1), at.date()):  # yesterday's night shift may still run
        kind = day_type(day)
        for entry in weekly:
            if any(begin <= at < end for begin, end in shifts_of(entry, day, kind)) and entry not in found:
                found.append(entry)
    found.sort(key=lambda entry: (entry.start, entry.key))
    return list(found)


def _boundaries(
    at: datetime,
    until: datetime,
    weekly: Sequence[WeeklyEntry],
    overrides: Sequence[OverrideEntry],
    day_type: DayTypeOf,
) -> list[datetime]:
    moments: set[datetime] = set()
    for override in overrides:
        moments.update((override.starts_at, override.ends_at))
    day = at.date() - timedelta(days=1)
    while day <= until.date():
        kind = day_type(day)
        for entry in weekly:
            for begin, end in shifts_of(entry, day, kind):
                moments.update((begin, end))
        day += timedelta(days=1)
    return sorted(moment for moment in moments if at < moment <= until)


def next_change(
    at: datetime,
    weekly: Sequence[WeeklyEntry],
    overrides: Sequence[OverrideEntry],
    day_type: DayTypeOf,
    look_ahead: timedelta = LOOK_AHEAD,
) -> tuple[datetime, list[Entry]] | None:
    """When the people on duty next change after `at`, and who is on duty then; None if not within a week."""
    now = on_duty(at, weekly, overrides, day_type)
    for moment in _boundaries(at, at + look_ahead, weekly, overrides, day_type):
        then = on_duty(moment, weekly, overrides, day_type)
        if then != now:
            return moment, then
    return None


def weekly_overlaps(entry: WeeklyEntry, others: Iterable[WeeklyEntry]) -> list[WeeklyEntry]:
    """The other weekly entries on duty at some moment together with `entry` (any day type, a sample week)."""
    found = []
    monday = date(2001, 1, 1)  # any Monday: the question is about the weekly pattern, not a date
    for other in others:
        if other.key == entry.key:
            continue
        for token in DAY_TOKENS:
            if _pattern_overlap(entry, other, token, monday):
                found.append(other)
                break
    return found


def _pattern_overlap(one: WeeklyEntry, two: WeeklyEntry, token: str, monday: date) -> bool:
    # Both entries placed on a day answering to `token` and on the days around it.
    index = WEEKDAYS.index(token) if token in WEEKDAYS else 2
    day = monday + timedelta(days=7 + index)

    def spans(entry: WeeklyEntry) -> list[tuple[datetime, datetime]]:
        result = []
        for offset in (-1, 0, 1):
            when = day + timedelta(days=offset)
            tokens = {token} if offset == 0 else {WEEKDAYS[when.weekday()]}
            if tokens & entry.days:
                begin = datetime.combine(when, entry.start)
                result.append((begin, begin + entry.length))
        return result

    return any(a < d and c < b for a, b in spans(one) for c, d in spans(two))


def override_overlaps(entry: OverrideEntry, others: Iterable[OverrideEntry]) -> list[OverrideEntry]:
    """The other overrides whose time overlaps this one's (all of them are on duty together)."""
    return [
        other
        for other in others
        if other.key != entry.key and other.starts_at < entry.ends_at and entry.starts_at < other.ends_at
    ]

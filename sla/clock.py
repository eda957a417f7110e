"""Deadline arithmetic on two clocks: wall-clock hours (24/7) and working time. Pure.

All datetimes are timezone-aware; working time is reckoned in the city's local time.
Pauses (a case waiting for the citizen) are intervals during which no time counts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sla.calendar import GovernmentCalendar

ZERO = timedelta(0)
Interval = tuple[datetime, datetime]

DEFAULT_WORKING_HOURS: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 30)), (time(13, 30), time(17, 30)))


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None:
            raise ValueError(f"naive datetime {moment!r}: SLA arithmetic needs time zones")


def _merged(pauses: Sequence[Interval]) -> list[Interval]:
    """Pauses sorted and merged, so overlapping ones do not count twice."""
    merged: list[Interval] = []
    for start, end in sorted(pause for pause in pauses if pause[1] > pause[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(interval: Interval, pauses: list[Interval]) -> Iterator[Interval]:
    start, end = interval
    for pause_start, pause_end in pauses:
        if pause_end <= start or pause_start >= end:
            continue
        if pause_start > start:
            yield start, pause_start
        start = max(start, pause_end)
        if start >= end:
            return
    if start < end:
        yield start, end


@dataclass(frozen=True)
class WallClock:
    """Round the clock: an hour is an hour, night or holiday (dispatches)."""

    def counting_intervals(self, start: datetime) -> Iterator[Interval]:
        yield start, datetime.max.replace(tzinfo=start.tzinfo) - timedelta(days=2)


@dataclass(frozen=True)
class WorkingClock:
    """Only working hours on working days count (petitions)."""

    calendar: GovernmentCalendar
    tz: ZoneInfo
    hours: tuple[tuple[time, time], ...] = field(default=DEFAULT_WORKING_HOURS)

    def _day_intervals(self, day: date) -> list[Interval]:
        if not self.calendar.is_working_day(day):
            return []
        return [
            (datetime.combine(day, begin, self.tz), datetime.combine(day, end, self.tz)) for begin, end in self.hours
        ]

    def counting_intervals(self, start: datetime) -> Iterator[Interval]:
        day = start.astimezone(self.tz).date()
        while True:
            for begin, end in self._day_intervals(day):
                if end > start:
                    yield max(begin, start), end
            day += timedelta(days=1)


Clock = WallClock | WorkingClock


def add(clock: Clock, start: datetime, duration: timedelta, pauses: Sequence[Interval] = ()) -> datetime:
    """The moment at which `duration` of counting time has passed since `start`."""
    _require_aware(start)
    if duration < ZERO:
        raise ValueError("a window cannot be negative")
    merged = _merged(pauses)
    remaining = duration
    for interval in clock.counting_intervals(start):
        for begin, end in _subtract(interval, merged):
            if end - begin >= remaining:
                return begin + remaining
            remaining -= end - begin
    raise AssertionError("unreachable: counting intervals never end")  # pragma: no cover


def elapsed(clock: Clock, start: datetime, end: datetime, pauses: Sequence[Interval] = ()) -> timedelta:
    """Counting time between `start` and `end` (negative if `end` is earlier)."""
    _require_aware(start, end)
    if end < start:
        return -elapsed(clock, end, start, pauses)
    merged = _merged(pauses)
    total = ZERO
    for interval in clock.counting_intervals(start):
        if interval[0] >= end:
            break
        clipped = (interval[0], min(interval[1], end))
        total += sum((stop - begin for begin, stop in _subtract(clipped, merged)), ZERO)
    return total


def remaining(clock: Clock, now: datetime, deadline: datetime, pauses: Sequence[Interval] = ()) -> timedelta:
    """Counting time left until the deadline; negative once it has passed."""
    return elapsed(clock, now, deadline, pauses)

"""Deadline arithmetic on two clocks: wall-clock hours (24/7) and working time. Pure.

All datetimes are timezone-aware; working time is reckoned in the city's local time.
Pauses (a case waiting for the citizen) are intervals during which no time counts.

Each clock maps a moment to a "counting position" (integer microseconds of counted time
since an arbitrary origin), so adding and measuring are a lookup and a bisection rather
than a walk over days: this is what lets a sweep recompute thousands of deadlines at once.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sla.calendar import GovernmentCalendar, check_year

ZERO = timedelta(0)
Interval = tuple[datetime, datetime]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_ORIGIN_YEAR = 2020

DEFAULT_WORKING_HOURS: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 30)), (time(13, 30), time(17, 30)))


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None:
            raise ValueError(f"naive datetime {moment!r}: SLA arithmetic needs time zones")


def _micros(duration: timedelta) -> int:
    return duration // _MICRO


def _merged(pauses: Sequence[Interval]) -> list[Interval]:
    """Pauses sorted and merged, so overlapping ones do not count twice."""
    merged: list[Interval] = []
    for start, end in sorted(pause for pause in pauses if pause[1] > pause[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def parse_working_hours(text: str) -> tuple[tuple[time, time], ...]:
    """Working hours written like "08:30-12:30,13:30-17:30"; sorted, non-overlapping, not empty."""
    spans: list[tuple[time, time]] = []
    for part in text.split(","):
        try:
            begin_text, end_text = (piece.strip() for piece in part.split("-"))
            begin, end = time.fromisoformat(begin_text), time.fromisoformat(end_text)
        except ValueError as exc:
            raise ValueError(f"working hours {text!r} should look like 08:30-12:30,13:30-17:30") from exc
        if begin >= end or (spans and begin < spans[-1][1]):
            raise ValueError(f"working hours {text!r}: each span must end after it begins and after the one before")
        spans.append((begin, end))
    return tuple(spans)


def working_day_length(hours: tuple[tuple[time, time], ...]) -> timedelta:
    """How long one full working day is with these working hours ("1d" on the working clock)."""
    return sum((_at(end) - _at(begin) for begin, end in hours), ZERO)


@dataclass(frozen=True)
class WallClock:
    """Round the clock: an hour is an hour, night or holiday (dispatches)."""

    def position(self, moment: datetime) -> int:
        return _micros(moment - _EPOCH)

    def moment(self, position: int, not_before: datetime, floor: int) -> datetime:
        return max(_EPOCH + timedelta(microseconds=position), not_before)


@dataclass(frozen=True)
class WorkingClock:
    """Only working hours on working days count (petitions); a partial closure's hours do not."""

    calendar: GovernmentCalendar
    tz: ZoneInfo
    hours: tuple[tuple[time, time], ...] = field(default=DEFAULT_WORKING_HOURS)
    # Per-year tables of counting positions, built on first use; not part of the clock's identity.
    _years: dict[int, _Year] = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    @property
    def working_day(self) -> timedelta:
        """The length of one full working day on this clock."""
        return working_day_length(self.hours)

    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            check_year(year)
            # Positions run on from one year to the next, from the start of _ORIGIN_YEAR: build the
            # years in between first, outwards from the origin (a loop, not a recursion).
            step = 1 if year >= _ORIGIN_YEAR else -1
            for between in range(_ORIGIN_YEAR, year + step, step):
                if between not in self._years:
                    self._years[between] = _year_table(self, between)
            table = self._years[year]
        return table

    def position(self, moment: datetime) -> int:
        local = moment.astimezone(self.tz)
        table = self._year(local.year)
        index = local.toordinal() - table.first_ordinal
        base = table.starts[index]
        since_midnight = (local.hour * 3600 + local.minute * 60 + local.second) * 1_000_000 + local.microsecond
        for begin, end in table.spans[index]:
            if since_midnight <= begin:
                break
            base += (since_midnight if since_midnight < end else end) - begin
        return base

    def moment(self, position: int, not_before: datetime, floor: int) -> datetime:
        """The earliest moment, at or after `not_before` (whose position is `floor`), at which the
        counting position is reached."""
        if position <= floor:
            return self._next_counting(not_before)
        year = not_before.astimezone(self.tz).year
        while self._year(year).end < position:
            year += 1
        table = self._year(year)
        # The day in which the position is reached: the last day starting strictly before it.
        index = bisect_left(table.starts, position) - 1
        offset = position - table.starts[index]
        day = date.fromordinal(table.first_ordinal + index)
        for begin, end in table.spans[index]:
            if offset <= end - begin:
                return datetime.combine(day, time(0), self.tz) + timedelta(microseconds=begin + offset)
            offset -= end - begin
        raise AssertionError("unreachable: a position within a day falls in one of its spans")  # pragma: no cover

    def _next_counting(self, moment: datetime) -> datetime:
        """`moment` itself if it is in working time, else the start of the next working span."""
        local = moment.astimezone(self.tz)
        day = local.date()
        while True:
            table = self._year(day.year)
            midnight = datetime.combine(day, time(0), self.tz)
            for begin, end in table.spans[day.toordinal() - table.first_ordinal]:
                if local <= midnight + timedelta(microseconds=end):
                    return max(moment, midnight + timedelta(microseconds=begin))
            day += timedelta(days=1)
            local = datetime.combine(day, time(0), self.tz)


Clock = WallClock | WorkingClock


@dataclass(frozen=True)
class _Year:
    first_ordinal: int  # date.toordinal() of 1 January
    starts: list[int]  # counting position at the start of each day of the year
    spans: list[tuple[tuple[int, int], ...]]  # per day: the counted spans, microseconds since midnight
    end: int  # counting position at the end of the year


def _at(moment: time) -> timedelta:
    return timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second, microseconds=moment.microsecond)


def _year_table(clock: WorkingClock, year: int) -> _Year:
    days = _days(year)
    spans = [
        tuple((_micros(begin), _micros(end)) for begin, end in clock.calendar.working_spans(day, clock.hours))
        for day in days
    ]
    lengths = [sum(end - begin for begin, end in day) for day in spans]
    if year > _ORIGIN_YEAR:
        origin = clock._years[year - 1].end
    elif year == _ORIGIN_YEAR:
        origin = 0
    else:
        origin = clock._years[year + 1].starts[0] - sum(lengths)
    starts: list[int] = []
    position = origin
    for length in lengths:
        starts.append(position)
        position += length
    return _Year(days[0].toordinal(), starts, spans, position)


def _days(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=offset) for offset in range((date(year + 1, 1, 1) - first).days)]


def add(clock: Clock, start: datetime, duration: timedelta, pauses: Sequence[Interval] = ()) -> datetime:
    """The moment at which `duration` of counting time has passed since `start`."""
    _require_aware(start)
    if duration < ZERO:
        raise ValueError("a window cannot be negative")
    floor = clock.position(start)
    target = floor + duration // _MICRO
    not_before = start
    for pause_start, pause_end in _merged(pauses) if pauses else ():
        if pause_end <= start:
            continue
        if pause_start >= start and clock.position(pause_start) >= target:
            break
        # The pause stops the clock: what it covers of counting time is added to the target, and,
        # counting time being flat inside it, the deadline cannot fall before its end.
        target += clock.position(pause_end) - clock.position(max(pause_start, start))
        not_before, floor = pause_end, clock.position(pause_end)
    return clock.moment(target, not_before, floor)


def elapsed(clock: Clock, start: datetime, end: datetime, pauses: Sequence[Interval] = ()) -> timedelta:
    """Counting time between `start` and `end` (negative if `end` is earlier)."""
    _require_aware(start, end)
    if end < start:
        return -elapsed(clock, end, start, pauses)
    total = clock.position(end) - clock.position(start)
    for pause_start, pause_end in _merged(pauses):
        clipped_start, clipped_end = max(pause_start, start), min(pause_end, end)
        if clipped_end > clipped_start:
            total -= clock.position(clipped_end) - clock.position(clipped_start)
    return timedelta(microseconds=total)


def remaining(clock: Clock, now: datetime, deadline: datetime, pauses: Sequence[Interval] = ()) -> timedelta:
    """Counting time left until the deadline; negative once it has passed.

    Past a deadline that fell at the end of office hours no counting time has passed yet; "0 left" would
    hide the breach, so until counting time passes the time overdue is measured on the wall clock.
    """
    left = elapsed(clock, now, deadline, pauses)
    if now > deadline and left >= ZERO:
        return deadline - now
    return left


@lru_cache(maxsize=32)
def working_clock(calendar: GovernmentCalendar, tz: ZoneInfo, hours: tuple[tuple[time, time], ...]) -> WorkingClock:
    """A shared working clock per calendar, so its year tables are built once per set of overrides."""
    return WorkingClock(calendar, tz, hours)

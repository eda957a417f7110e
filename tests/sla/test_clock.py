"""Deadline arithmetic: properties that must hold for any start and window, and named cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import GovernmentCalendar, Override
from sla.clock import WallClock, WorkingClock, add, elapsed, remaining

TZ = ZoneInfo("Asia/Taipei")
WORKING = WorkingClock(GovernmentCalendar(), TZ)
WALL = WallClock()

# hypothesis wants naive bounds and attaches the zone itself.
starts = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001
    max_value=datetime(2025, 12, 20),  # noqa: DTZ001
    timezones=st.just(TZ),
)
windows = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=96)).map(
    lambda window: timedelta(minutes=window // timedelta(minutes=1))
)


def _in_working_hours(moment: datetime) -> bool:
    local = moment.astimezone(TZ)
    if not WORKING.calendar.is_working_day(local.date()):
        return False
    return any(begin <= local.time() <= end for begin, end in WORKING.hours)


@settings(max_examples=200, deadline=None)
@given(start=starts, window=windows)
def test_adding_then_measuring_returns_the_window(start: datetime, window: timedelta) -> None:
    for clock in (WALL, WORKING):
        assert elapsed(clock, start, add(clock, start, window)) == window


@settings(max_examples=200, deadline=None)
@given(start=starts, window=windows.filter(lambda window: window > timedelta(0)))
def test_working_deadlines_never_fall_in_non_working_time(start: datetime, window: timedelta) -> None:
    assert _in_working_hours(add(WORKING, start, window))


@settings(max_examples=200, deadline=None)
@given(start=starts, later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)), window=windows)
def test_deadlines_are_monotonic_in_the_start(start: datetime, later: timedelta, window: timedelta) -> None:
    for clock in (WALL, WORKING):
        assert add(clock, start, window) <= add(clock, start + later, window)


@settings(max_examples=200, deadline=None)
@given(
    start=starts,
    window=windows,
    pause_offset=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=4)),
    pause_length=st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=2)),
)
def test_a_pause_adds_exactly_its_working_length(
    start: datetime, window: timedelta, pause_offset: timedelta, pause_length: timedelta
) -> None:
    pause = (start + pause_offset, start + pause_offset + pause_length)
    for clock in (WALL, WORKING):
        unpaused = add(clock, start, window)
        paused = add(clock, start, window, [pause])
        assert paused >= unpaused
        assert elapsed(clock, start, paused, [pause]) == window
        # The deadline moves by the counting length of the part of the pause before it.
        paused_part = elapsed(clock, pause[0], min(pause[1], paused)) if pause[0] < paused else timedelta(0)
        assert elapsed(clock, start, paused) - window == paused_part


def test_a_petition_received_friday_1700_before_lunar_new_year() -> None:
    received = datetime(2025, 1, 24, 17, 0, tzinfo=TZ)
    # Six working days of eight hours: half an hour that Friday, the week after the holiday,
    # and the make-up Saturday 2025-02-08.
    assert add(WORKING, received, timedelta(hours=48)) == datetime(2025, 2, 8, 17, 0, tzinfo=TZ)


def test_a_makeup_saturday_counts_as_a_working_day() -> None:
    saturday_morning = datetime(2025, 2, 8, 8, 30, tzinfo=TZ)
    assert add(WORKING, saturday_morning, timedelta(hours=2)) == datetime(2025, 2, 8, 10, 30, tzinfo=TZ)


def test_a_dispatch_at_2350_is_due_at_0350_the_next_day() -> None:
    reported = datetime(2025, 3, 3, 23, 50, tzinfo=TZ)
    assert add(WALL, reported, timedelta(hours=4)) == datetime(2025, 3, 4, 3, 50, tzinfo=TZ)
    assert add(WALL, reported.astimezone(UTC), timedelta(hours=4)) == datetime(2025, 3, 4, 3, 50, tzinfo=TZ)


def test_a_typhoon_day_moves_a_working_deadline_by_a_day() -> None:
    received = datetime(2024, 7, 24, 9, 0, tzinfo=TZ)
    typhoon = WorkingClock(GovernmentCalendar([Override(received.date() + timedelta(days=1), False, "凱米颱風")]), TZ)
    assert add(WORKING, received, timedelta(hours=16)) == datetime(2024, 7, 26, 9, 0, tzinfo=TZ)
    assert add(typhoon, received, timedelta(hours=16)) == datetime(2024, 7, 29, 9, 0, tzinfo=TZ)


def test_lunch_is_not_working_time() -> None:
    assert add(WORKING, datetime(2025, 3, 3, 12, 0, tzinfo=TZ), timedelta(hours=1)) == datetime(
        2025, 3, 3, 14, 0, tzinfo=TZ
    )
    assert WORKING.hours[0] == (time(8, 30), time(12, 30))


def test_remaining_is_negative_after_the_deadline() -> None:
    deadline = datetime(2025, 3, 3, 10, 0, tzinfo=TZ)
    assert remaining(WALL, deadline + timedelta(minutes=30), deadline) == -timedelta(minutes=30)


def test_a_working_deadline_passed_at_the_end_of_the_day_is_overdue_that_evening() -> None:
    # No office time passes after 17:30 on a Friday: the breach is said in wall-clock time, not as "0 left".
    end_of_day = datetime(2024, 7, 26, 17, 30, tzinfo=TZ)
    assert remaining(WORKING, end_of_day + timedelta(hours=4), end_of_day) == -timedelta(hours=4)
    assert remaining(WORKING, end_of_day, end_of_day) == timedelta(0)
    # Once office time has passed again (Monday 09:00, half an hour in) it is counted in office time.
    monday = datetime(2024, 7, 29, 9, 0, tzinfo=TZ)
    assert remaining(WORKING, monday, end_of_day) == -timedelta(minutes=30)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        add(WALL, datetime(2025, 3, 3, 10, 0), timedelta(hours=1))  # noqa: DTZ001


def _working_minutes_by_walking(start: datetime, end: datetime) -> timedelta:
    """The slow, obvious answer: count the working minutes one by one."""
    minutes, moment = 0, start
    while moment < end:
        local = moment.astimezone(TZ)
        if WORKING.calendar.is_working_day(local.date()) and any(
            begin <= local.time() < end_ for begin, end_ in WORKING.hours
        ):
            minutes += 1
        moment += timedelta(minutes=1)
    return timedelta(minutes=minutes)


@settings(max_examples=60, deadline=None)
@given(
    start=starts.map(lambda moment: moment.replace(second=0, microsecond=0)),
    length=st.integers(min_value=0, max_value=4 * 24 * 60),
)
def test_the_fast_working_clock_agrees_with_counting_minutes(start: datetime, length: int) -> None:
    end = start + timedelta(minutes=length)
    assert elapsed(WORKING, start, end) == _working_minutes_by_walking(start, end)


def test_the_working_clock_runs_across_new_year() -> None:
    # Tuesday 31 December 2024, 16:30, plus two working hours: 1 January is a holiday.
    assert add(WORKING, datetime(2024, 12, 31, 16, 30, tzinfo=TZ), timedelta(hours=2)) == datetime(
        2025, 1, 2, 9, 30, tzinfo=TZ
    )


minutes_of_day = st.integers(min_value=0, max_value=24 * 60)


def _clock_time(minutes: int) -> time | None:
    """A range bound; None is midnight (the start of the range, or the end of the day)."""
    return None if minutes in (0, 24 * 60) else time(minutes // 60, minutes % 60)


def _closure(day: date, first: int, second: int) -> Override:
    start, end = sorted((first, second))
    return Override(day, working=False, reason="颱風停班", start=_clock_time(start), end=_clock_time(end))


@settings(max_examples=200, deadline=None)
@given(
    start=starts,
    window=windows,
    day_offset=st.integers(min_value=-1, max_value=12),
    bounds=st.tuples(minutes_of_day, minutes_of_day).filter(lambda pair: pair[0] != pair[1]),
)
def test_a_closure_of_any_range_moves_a_deadline_by_exactly_the_working_time_it_removes(
    start: datetime, window: timedelta, day_offset: int, bounds: tuple[int, int]
) -> None:
    closure = _closure(start.date() + timedelta(days=day_offset), *bounds)
    closed = WorkingClock(GovernmentCalendar([closure]), TZ)
    before, after = add(WORKING, start, window), add(closed, start, window)
    # The working time the closure takes out of [start, deadline], worked out by hand.
    midnight = datetime.combine(closure.day, time(0), TZ)
    cut_from, cut_until = (midnight + offset for offset in closure.span)
    removed = timedelta(0)
    if WORKING.calendar.is_working_day(closure.day):
        for begin, end in WORKING.hours:
            low = max(datetime.combine(closure.day, begin, TZ), cut_from, start)
            high = min(datetime.combine(closure.day, end, TZ), cut_until, before)
            removed += max(high - low, timedelta(0))
    assert after >= before
    assert elapsed(closed, before, after) == removed


def _counted_by_walking(clock: WorkingClock, start: datetime, end: datetime) -> timedelta:
    """The slow answer on any calendar: minute by minute, inside the day's counted spans."""
    minutes, moment = 0, start
    while moment < end:
        local = moment.astimezone(TZ)
        since_midnight = local - datetime.combine(local.date(), time(0), TZ)
        if any(
            begin <= since_midnight < end_ for begin, end_ in clock.calendar.working_spans(local.date(), clock.hours)
        ):
            minutes += 1
        moment += timedelta(minutes=1)
    return timedelta(minutes=minutes)


@settings(max_examples=40, deadline=None)
@given(
    start=starts.map(lambda moment: moment.replace(second=0, microsecond=0)),
    length=st.integers(min_value=0, max_value=3 * 24 * 60),
    ranges=st.lists(
        st.tuples(st.integers(0, 3), st.booleans(), minutes_of_day, minutes_of_day).filter(lambda r: r[2] != r[3]),
        max_size=3,
    ),
)
def test_the_fast_clock_agrees_with_counting_minutes_around_partial_overrides(
    start: datetime, length: int, ranges: list[tuple[int, bool, int, int]]
) -> None:
    overrides = [
        Override(
            start.date() + timedelta(days=offset),
            working,
            "部分停班或上班",
            _clock_time(min(first, second)),
            _clock_time(max(first, second)),
        )
        for offset, working, first, second in ranges
    ]
    clock = WorkingClock(GovernmentCalendar(overrides), TZ)
    end = start + timedelta(minutes=length)
    assert elapsed(clock, start, end) == _counted_by_walking(clock, start, end)
    assert elapsed(clock, start, add(clock, start, timedelta(minutes=length))) == timedelta(minutes=length)

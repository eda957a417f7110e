"""The duty roster's rule (dispatch/roster.py): who is on duty at an instant, and who comes next."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dispatch.roster import (
    HOLIDAY,
    MAKEUP,
    WEEKDAYS,
    DayType,
    OverrideEntry,
    WeeklyEntry,
    next_change,
    on_duty,
    override_overlaps,
    weekly_overlaps,
)

WORKDAYS = frozenset(WEEKDAYS[:5])
EVERY_DAY = frozenset((*WEEKDAYS, HOLIDAY, MAKEUP))
DAY = WeeklyEntry(1, "陳日班", "+886912000001", WORKDAYS, time(8), time(18))
NIGHT = WeeklyEntry(2, "林夜班", "+886912000002", WORKDAYS, time(18), time(8))
HOLIDAY_ALL_DAY = WeeklyEntry(3, "王假日", "+886912000003", frozenset({HOLIDAY, "sat", "sun"}), time(0), time(0))


def usual(_day: date) -> DayType:
    return DayType.USUAL


def names(entries: list) -> list[str]:
    return [entry.name for entry in entries]


# 2026-12-02 is a Wednesday.
WED = date(2026, 12, 2)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


def test_day_and_night_shifts_take_turns_and_the_night_shift_runs_past_midnight() -> None:
    weekly = [DAY, NIGHT]
    assert names(on_duty(at(WED, 10), weekly, [], usual)) == ["陳日班"]
    assert names(on_duty(at(WED, 23), weekly, [], usual)) == ["林夜班"]
    # Thursday 02:00 is still Wednesday's night shift.
    assert names(on_duty(at(WED + timedelta(days=1), 2), weekly, [], usual)) == ["林夜班"]
    # The boundaries: a shift covers its start, not its end.
    assert names(on_duty(at(WED, 18), weekly, [], usual)) == ["林夜班"]
    assert names(on_duty(at(WED, 8), weekly, [], usual)) == ["陳日班"]


def test_friday_night_runs_into_saturday_and_nobody_covers_the_weekend_without_an_entry() -> None:
    friday, saturday = WED + timedelta(days=2), WED + timedelta(days=3)
    assert names(on_duty(at(saturday, 7), [DAY, NIGHT], [], usual)) == ["林夜班"]
    assert on_duty(at(saturday, 12), [DAY, NIGHT], [], usual) == []
    assert names(on_duty(at(friday, 12), [DAY, NIGHT], [], usual)) == ["陳日班"]


def test_on_a_holiday_the_holiday_entries_replace_the_weekday_ones() -> None:
    def wednesday_off(day: date) -> DayType:
        return DayType.HOLIDAY if day == WED else DayType.USUAL

    weekly = [DAY, NIGHT, HOLIDAY_ALL_DAY]
    assert names(on_duty(at(WED, 10), weekly, [], wednesday_off)) == ["王假日"]
    # Tuesday's night shift still runs into the holiday's morning: it belongs to the day it started.
    assert names(on_duty(at(WED, 3), weekly, [], wednesday_off)) == ["王假日", "林夜班"]


def test_a_make_up_workday_takes_the_makeup_entries_not_saturdays() -> None:
    saturday = WED + timedelta(days=3)
    makeup_day = WeeklyEntry(4, "補班值班", "+886912000004", frozenset({MAKEUP}), time(8), time(17))

    def worked_saturday(day: date) -> DayType:
        return DayType.MAKEUP if day == saturday else DayType.USUAL

    assert names(on_duty(at(saturday, 9), [HOLIDAY_ALL_DAY, makeup_day], [], worked_saturday)) == ["補班值班"]
    assert names(on_duty(at(saturday, 9), [HOLIDAY_ALL_DAY, makeup_day], [], usual)) == ["王假日"]


def test_an_override_beats_the_weekly_rotation_and_overlapping_overrides_are_all_on_duty() -> None:
    leave = OverrideEntry(10, "代理人", "+886912000010", at(WED, 20), at(WED + timedelta(days=1), 8))
    standby = OverrideEntry(11, "颱風備勤", "+886912000011", at(WED, 22), at(WED, 23, 30))
    assert names(on_duty(at(WED, 21), [DAY, NIGHT], [leave, standby], usual)) == ["代理人"]
    assert names(on_duty(at(WED, 23), [DAY, NIGHT], [leave, standby], usual)) == ["代理人", "颱風備勤"]
    assert names(on_duty(at(WED, 19), [DAY, NIGHT], [leave, standby], usual)) == ["林夜班"]
    assert override_overlaps(standby, [leave, standby]) == [leave]


def test_overlapping_weekly_entries_are_all_on_duty_and_are_reported_as_overlapping() -> None:
    evening = WeeklyEntry(5, "黃晚班", "+886912000005", frozenset({"wed"}), time(17), time(20))
    assert names(on_duty(at(WED, 17, 30), [DAY, NIGHT, evening], [], usual)) == ["陳日班", "黃晚班"]
    assert names(on_duty(at(WED, 19), [DAY, NIGHT, evening], [], usual)) == ["黃晚班", "林夜班"]
    assert weekly_overlaps(evening, [DAY, NIGHT, evening]) == [DAY, NIGHT]
    assert weekly_overlaps(DAY, [DAY, NIGHT]) == []
    # A Friday night shift and a Saturday early shift overlap across midnight.
    early_saturday = WeeklyEntry(6, "週六早", "+886912000006", frozenset({"sat"}), time(6), time(9))
    assert weekly_overlaps(early_saturday, [NIGHT]) == [NIGHT]


def test_next_change_says_when_and_who() -> None:
    change = next_change(at(WED, 10), [DAY, NIGHT], [], usual)
    assert change is not None
    assert change[0] == at(WED, 18)
    assert names(change[1]) == ["林夜班"]
    friday_night = at(WED + timedelta(days=2), 23)
    change = next_change(friday_night, [DAY, NIGHT], [], usual)
    assert change == (at(WED + timedelta(days=3), 8), [])  # then nobody: the agency's duty phones
    assert next_change(at(WED, 10), [], [], usual) is None


entries = st.builds(
    WeeklyEntry,
    key=st.integers(1, 50),
    name=st.sampled_from(["甲", "乙", "丙"]),
    phone=st.just("+886912000000"),
    days=st.frozensets(st.sampled_from(tuple(EVERY_DAY)), min_size=1),
    start=st.builds(time, st.integers(0, 23), st.sampled_from([0, 30])),
    end=st.builds(time, st.integers(0, 23), st.sampled_from([0, 30])),
)
moments = st.builds(
    lambda days, minutes: at(WED, 0) + timedelta(days=days, minutes=minutes),
    st.integers(0, 13),
    st.integers(0, 24 * 60 - 1),
)
day_types = st.sampled_from(list(DayType))


@given(st.lists(entries, max_size=5, unique_by=lambda entry: entry.key), moments, day_types)
def test_an_entry_is_on_duty_exactly_when_one_of_its_shifts_covers_the_moment(weekly, moment, kind) -> None:
    """Against counting by hand: every shift starting on a day it applies to, and whether it covers the moment."""

    def day_type(day: date) -> DayType:
        return kind if day.toordinal() % 3 == 0 else DayType.USUAL

    expected = set()
    for entry in weekly:
        for offset in (-1, 0):
            day = moment.date() + timedelta(days=offset)
            kind_of_day = day_type(day)
            token = {DayType.HOLIDAY: HOLIDAY, DayType.MAKEUP: MAKEUP}.get(kind_of_day, WEEKDAYS[day.weekday()])
            begin = datetime.combine(day, entry.start)
            if token in entry.days and begin <= moment < begin + entry.length:
                expected.add(entry.key)
    assert {entry.key for entry in on_duty(moment, weekly, [], day_type)} == expected


@given(st.lists(entries, max_size=4, unique_by=lambda entry: entry.key), moments)
def test_nobody_changes_between_now_and_the_next_change(weekly, moment) -> None:
    now = on_duty(moment, weekly, [], usual)
    change = next_change(moment, weekly, [], usual)
    horizon = change[0] if change else moment + timedelta(days=8)
    step = moment
    while step < horizon:
        assert on_duty(step, weekly, [], usual) == now
        step += timedelta(minutes=30)
    if change:
        assert on_duty(change[0], weekly, [], usual) == change[1] != now


@given(st.lists(entries, min_size=1, max_size=3, unique_by=lambda entry: entry.key), moments)
def test_a_covering_override_is_all_that_is_on_duty(weekly, moment) -> None:
    cover = OverrideEntry(99, "代理", "+886912000099", moment - timedelta(hours=1), moment + timedelta(hours=1))
    assert on_duty(moment, weekly, [cover], usual) == [cover]

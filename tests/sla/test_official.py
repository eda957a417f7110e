"""The government's office calendar file: read in any of its published forms, refused with the line and why."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sla.calendar import DayKind, GovernmentCalendar
from sla.official import CalendarFileError, differences, read_official_csv

# 中華民國115年（西元2026年）政府行政機關辦公日曆表, written by hand from the published calendar.
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "calendar_2026_official.csv"
SOURCE = "行政院人事行政總處 115年辦公日曆表"


def _rows() -> list[str]:
    return FIXTURE.read_text(encoding="utf-8-sig").splitlines()


def _problems(data: bytes, year: int | None = 2026) -> dict[str, str]:
    with pytest.raises(CalendarFileError) as refusal:
        read_official_csv(data, source=SOURCE, year=year)
    return {problem.where: problem.code for problem in refusal.value.problems}


def test_the_2026_calendar_has_120_days_off_and_agrees_with_the_rules_on_every_day() -> None:
    table = read_official_csv(FIXTURE.read_bytes(), source=SOURCE, year=2026)
    official = GovernmentCalendar(official=[table])
    days = official.year(2026)
    assert sum(not day.is_working for day in days) == 120
    assert not any(day.kind is DayKind.MAKEUP_WORKDAY for day in days)
    assert official.describe(date(2026, 9, 28)).name == "教師節"
    changes = differences(GovernmentCalendar(), official, 2026)
    # Names only: the estimate already had every day right.
    assert changes and not any(change.moves_time for change in changes)
    assert {change.after.day for change in changes} >= {date(2026, 2, 20), date(2026, 9, 28)}


def test_big5_with_roc_dates_reads_the_same() -> None:
    roc = [_rows()[0].replace("西元日期", "民國日期")]
    for row in _rows()[1:]:
        day, *rest = row.split(",")
        roc.append(",".join([f"{int(day[:4]) - 1911}/{int(day[4:6])}/{int(day[6:])}", *rest]))
    big5 = read_official_csv("\r\n".join(roc).encode("cp950"), source=SOURCE, year=2026)
    assert big5.entries == read_official_csv(FIXTURE.read_bytes(), source=SOURCE).entries


def test_a_missing_day_a_duplicate_and_a_wrong_weekday_are_each_named_by_line() -> None:
    rows = _rows()
    # rows[n] is 2026-01-n: drop 01-05, call 01-07 (a Wednesday) a Friday, repeat 01-02 at the end.
    rows[7] = rows[7].replace(",三,", ",五,")
    broken = [*rows[:5], *rows[6:], rows[2]]
    problems = _problems("\n".join(broken).encode())
    assert problems == {
        "2026-01-05": "calendar.csv.missing_day",
        "line 7": "calendar.csv.weekday_mismatch",
        f"line {len(broken)}": "calendar.csv.duplicate_day",
    }


def test_another_year_than_announced_is_refused() -> None:
    assert set(_problems(FIXTURE.read_bytes(), year=2027).values()) == {"calendar.csv.other_year"}
    rows = _rows()
    rows[10] = rows[10].replace("2026", "2025", 1)
    assert _problems("\n".join(rows).encode())["line 11"] == "calendar.csv.other_year"


def test_an_unknown_encoding_or_header_and_a_worked_sunday_are_refused() -> None:
    assert _problems(b"\x80\x81\xff garbage") == {"file": "calendar.csv.unknown_encoding"}
    assert _problems("date,day\n20260101,四\n".encode()) == {"line 1": "calendar.csv.bad_header"}
    rows = _rows()
    sunday = next(index for index, row in enumerate(rows) if row.startswith("20260104"))
    rows[sunday] = "20260104,日,0,"
    assert _problems("\n".join(rows).encode()) == {f"line {sunday + 1}": "calendar.csv.weekend_inconsistent"}
    rows[sunday] = "20260104,日,休,"
    assert _problems("\n".join(rows).encode()) == {f"line {sunday + 1}": "calendar.csv.bad_flag"}

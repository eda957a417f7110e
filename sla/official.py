"""The government's yearly office calendar (政府行政機關辦公日曆表) as published in open data. Pure.

The file has a row per day: `西元日期,星期,是否放假,備註` (e.g. `20260101,四,2,開國紀念日`: 2 is a
day off, 0 a working day). Older editions come in Big5 and some write dates the ROC way
(`1150101`, `115/1/1`). Every row is checked and every problem reported, so that one
reading tells the administrator all that is wrong with a file; nothing partial is returned.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from sla.calendar import DAY, CalendarDay, GovernmentCalendar, SourceDay, YearTable, check_year


def N_(code: str) -> str:
    """Mark a message code (app/i18n words it) so that `make translations` finds it here too."""
    return code


_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_OFF = {"2": True, "是": True, "0": False, "否": False}
_MAX_PROBLEMS = 50
_ROC_OFFSET = 1911


@dataclass(frozen=True)
class FileProblem:
    """Where (`line 12`, a missing date, or `file`) and what: a message code, for app.i18n."""

    where: str
    code: str


class CalendarFileError(ValueError):
    def __init__(self, problems: list[FileProblem]) -> None:
        super().__init__("; ".join(f"{problem.where}: {problem.code}" for problem in problems))
        self.problems = problems


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or Big5 (cp950, which Windows writes)."""
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    encodings = ["utf-16"] if utf16 else ["utf-8-sig", "cp950"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CalendarFileError([FileProblem("file", N_("calendar.csv.unknown_encoding"))])


def _column(header: list[str], *names: str) -> int | None:
    for index, title in enumerate(header):
        if any(name in title for name in names):
            return index
    return None


def _date(text: str) -> date | None:
    """20260101, 2026-01-01, 2026/1/1 (AD) or 1150101, 115/1/1 (ROC)."""
    text = text.strip()
    try:
        if text.isdigit() and len(text) in (6, 7, 8):
            year, month, day = int(text[:-4]), int(text[-4:-2]), int(text[-2:])
        else:
            parts = text.replace("-", "/").replace(".", "/").split("/")
            if len(parts) != 3 or not all(part.strip().isdigit() for part in parts):
                return None
            year, month, day = (int(part) for part in parts)
        if year < _ROC_OFFSET:
            year += _ROC_OFFSET
        return date(year, month, day)
    except ValueError:
        return None


def _weekday(text: str) -> int | None:
    text = text.strip()
    for prefix in ("星期", "禮拜", "週", "周"):
        text = text.removeprefix(prefix)
    return _WEEKDAYS.get(text)


# Rows that are not this year's day: another year's, or a second row for a day already read.
_FOREIGN = frozenset({N_("calendar.csv.bad_date"), N_("calendar.csv.other_year"), N_("calendar.csv.duplicate_day")})


def _row_problem(
    day: date | None, weekday: int | None, off: bool | None, year: int | None, seen: dict[date, int]
) -> str | None:
    if day is None:
        return N_("calendar.csv.bad_date")
    if year is not None and day.year != year:
        return N_("calendar.csv.other_year")
    if day in seen:
        return N_("calendar.csv.duplicate_day")
    if weekday is None or weekday != day.weekday():
        return N_("calendar.csv.weekday_mismatch")
    if off is None:
        return N_("calendar.csv.bad_flag")
    if not off and day.weekday() == 6:
        # Make-up workdays (補行上班) are Saturdays; a worked Sunday is a typing mistake.
        return N_("calendar.csv.weekend_inconsistent")
    return None


def read_official_csv(data: bytes, *, source: str, year: int | None = None) -> YearTable:
    """The year the file describes, as an official YearTable; `year` is the year it is announced as
    (the first row's when None). Raises CalendarFileError listing every problem."""
    rows = list(csv.reader(io.StringIO(decode(data))))
    problems: list[FileProblem] = []
    header_at = next((index for index, row in enumerate(rows) if any(cell.strip() for cell in row)), None)
    header = [cell.strip() for cell in rows[header_at]] if header_at is not None else []
    columns = (_column(header, "日期"), _column(header, "星期"), _column(header, "放假"))
    name_column = _column(header, "備註", "說明", "名稱")
    if header_at is None or None in columns:
        raise CalendarFileError([FileProblem("line 1", N_("calendar.csv.bad_header"))])
    date_at, weekday_at, off_at = (column for column in columns if column is not None)
    seen: dict[date, int] = {}
    days: dict[date, SourceDay] = {}
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"line {number}"
        cells = [cell.strip() for cell in row] + [""] * len(header)
        day, weekday, off = _date(cells[date_at]), _weekday(cells[weekday_at]), _OFF.get(cells[off_at])
        problem = _row_problem(day, weekday, off, year, seen)
        if day is not None and problem not in _FOREIGN:
            # The row is this day's, right or wrong: the day is not missing.
            year, seen[day] = day.year, number
        if problem is not None:
            problems.append(FileProblem(where, problem))
            continue
        assert day is not None and off is not None
        name = cells[name_column] if name_column is not None and cells[name_column] else None
        if off != (day.weekday() >= 5) or (off and name):
            days[day] = SourceDay(off, name)
    if year is None:
        raise CalendarFileError(problems or [FileProblem("file", N_("calendar.csv.no_days"))])
    try:
        check_year(year)
    except ValueError:
        raise CalendarFileError([FileProblem("file", N_("calendar.csv.year_out_of_range"))]) from None
    unreadable = any(problem.code == N_("calendar.csv.bad_date") for problem in problems)
    day = date(year, 1, 1)
    while day.year == year:
        if day not in seen and not unreadable:
            # A day is missing only if no malformed row might have been it.
            problems.append(FileProblem(day.isoformat(), N_("calendar.csv.missing_day")))
        day += DAY
    if problems:
        raise CalendarFileError(problems[:_MAX_PROBLEMS])
    return YearTable.of(year, source, days, official=True)


@dataclass(frozen=True)
class DayChange:
    before: CalendarDay
    after: CalendarDay

    @property
    def moves_time(self) -> bool:
        return self.before.is_working != self.after.is_working


def differences(before: GovernmentCalendar, after: GovernmentCalendar, year: int) -> list[DayChange]:
    """The days of `year` the two calendars see differently: working or not, kind or name."""
    changes = []
    day = date(year, 1, 1)
    while day.year == year:
        old, new = before.describe(day), after.describe(day)
        if (old.kind, old.name) != (new.kind, new.name):
            changes.append(DayChange(old, new))
        day += timedelta(days=1)
    return changes

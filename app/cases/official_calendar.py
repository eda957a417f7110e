"""The calendar's truth beyond overrides: the government's official year imported from its open-data
file, and the holiday source (the `holidays` package) whose new version may say other things.

Both move open cases' deadlines like an override does (app.cases.calendar.recompute_open_cases),
each in one transaction with an `sla_recomputed` event naming the cause.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import Actor
from app.cases import deadlines
from app.cases.calendar import SYSTEM, Cause, Recomputed, recompute_open_cases, require_administrator, years_in_use
from app.db import utcnow, write_transaction
from app.errors import N_, Conflict, InvalidInput
from app.models import CalendarSourceMark, OfficialCalendarYear
from app.settings_access import calendar_source
from sla.calendar import FIRST_YEAR, LAST_YEAR, GovernmentCalendar
from sla.official import CalendarFileError, DayChange, differences, read_official_csv

SOURCE_MARK = "holidays"


@dataclass(frozen=True)
class ImportResult:
    year: int
    source: str
    changes: list[DayChange]  # the days the calendar saw otherwise before
    moved: int  # open cases whose deadlines moved (or would move, on a preview)
    overdue: int  # of them, cases a deadline of which moved into the past
    applied: bool
    replaced: bool  # the year had been imported before


class _Preview(Exception):
    def __init__(self, result: ImportResult) -> None:
        super().__init__("preview")
        self.result = result


def import_official_calendar(
    *,
    session: Session,
    actor: Actor,
    data: bytes,
    source: str,
    year: int | None = None,
    confirm: bool = False,
    preview: bool = False,
    now: datetime | None = None,
) -> ImportResult:
    """Make an official calendar file the truth for its year, overrides staying on top.

    A preview applies nothing; an import that moves open cases' deadlines needs `confirm`.
    """
    now = now or utcnow()
    require_administrator(actor)
    source = source.strip()
    if not source:
        raise InvalidInput("validation.failed", fields={"source": [N_("field.required")]})
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput("calendar.year_out_of_range", year=year, first=FIRST_YEAR, last=LAST_YEAR)
    try:
        table = read_official_csv(data, source=source, year=year)
    except CalendarFileError as error:
        fields = {problem.where: [problem.code] for problem in error.problems}
        raise InvalidInput(
            "calendar.file_invalid", fields=fields, count=len(error.problems), first=FIRST_YEAR, last=LAST_YEAR
        ) from None
    try:
        with write_transaction(session):
            before = deadlines.load_calendar(session)
            row = session.get(OfficialCalendarYear, table.year, with_for_update=True)
            replaced = row is not None
            if row is None:
                row = OfficialCalendarYear(year=table.year)
                session.add(row)
            row.source, row.imported_by_id, row.imported_at = source, actor.user_id, now
            row.file_sha256 = hashlib.sha256(data).hexdigest()
            row.days = [[day.isoformat(), entry.off, entry.name] for day, entry in table.entries]
            row.days_off = sum(not day.is_working for day in GovernmentCalendar(official=[table]).year(table.year))
            session.flush()
            changes = differences(before, deadlines.load_calendar(session), table.year)
            done = recompute_open_cases(
                session,
                actor,
                now,
                cause=Cause.OFFICIAL_IMPORT,
                reason=f"{table.year} 年官方辦公日曆表：{source}",
                year=table.year,
            )
            result = ImportResult(table.year, source, changes, done.moved, done.overdue, not preview, replaced)
            if preview:
                raise _Preview(result)
            if done.moved and not confirm:
                raise Conflict("calendar.import_needs_confirmation", count=done.moved, year=table.year)
    except _Preview as shown:
        return shown.result
    return result


@dataclass(frozen=True)
class SourceCheck:
    previous: str | None  # the version deadlines were computed on, None the first time
    version: str
    changed_years: list[int]
    recomputed: Recomputed | None  # None: nothing changed, nothing recomputed


def notice_source_change(*, session: Session, now: datetime | None = None) -> SourceCheck:
    """At start-up: if the holiday source is not what deadlines were last computed on (a new version
    of the `holidays` package), recompute open cases once and remember the new fingerprint."""
    now = now or utcnow()
    source = calendar_source()
    with write_transaction(session):
        today = now.astimezone(deadlines.load_context(session).tz).date()
        digests = {str(year): source.table(year).digest() for year in years_in_use(session, today)}
        mark = session.get(CalendarSourceMark, SOURCE_MARK, with_for_update=True)
        if mark is None:
            mark = CalendarSourceMark(name=SOURCE_MARK, version=source.version, years={})
            session.add(mark)
            previous = None
        else:
            previous = mark.version
        changed = sorted(int(year) for year, digest in digests.items() if mark.years.get(year, digest) != digest)
        recomputed = None
        if previous != source.version or changed:
            recomputed = recompute_open_cases(
                session,
                SYSTEM,
                now,
                cause=Cause.SOURCE_UPDATE,
                reason=f"行事曆來源更新：{previous or '（首次記錄）'} → {source.version}",
                source_version=source.version,
                previous_source_version=previous,
                changed_years=changed,
            )
        if recomputed is not None or set(digests) - set(mark.years):
            # A new dict, so the JSON column is seen as changed.
            mark.version, mark.years, mark.noticed_at = source.version, {**mark.years, **digests}, now
    return SourceCheck(previous, source.version, changed, recomputed)


def source_mark(session: Session) -> CalendarSourceMark | None:
    return session.scalar(select(CalendarSourceMark).where(CalendarSourceMark.name == SOURCE_MARK))


@dataclass(frozen=True)
class YearState:
    year: int
    official: bool
    source: str
    imported_at: datetime | None
    days_off: int
    working_days: int


@dataclass(frozen=True)
class CalendarStatus:
    source_version: str  # what estimated years come from now
    deadlines_follow: str | None  # the version open deadlines were last computed on (None: not yet noticed)
    years: list[YearState]


def calendar_status(session: Session, *, today: date) -> CalendarStatus:
    """The years in use, each official (with its source) or estimated."""
    calendar = deadlines.load_calendar(session)
    imported = {row.year: row for row in session.scalars(select(OfficialCalendarYear))}
    states = []
    for year in years_in_use(session, today):
        days = calendar.year(year)
        working = sum(day.is_working for day in days)
        row = imported.get(year)
        states.append(
            YearState(
                year,
                row is not None,
                calendar.table(year).source,
                row.imported_at if row else None,
                len(days) - working,
                working,
            )
        )
    mark = source_mark(session)
    return CalendarStatus(calendar.source.version, mark.version if mark else None, states)


def load_shipped_calendars(
    *, session: Session, directory: Path, actor: Actor, now: datetime | None = None
) -> list[ImportResult]:
    """The official calendars shipped as reference data (one CSV a year): each imported when new or changed.

    `flask seed` runs this, so a fresh installation does not flag the years the government has
    published as estimates; a file already imported as it is changes nothing.
    """
    results = []
    for path in sorted(directory.glob("*.csv")):
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if session.scalar(select(OfficialCalendarYear.year).where(OfficialCalendarYear.file_sha256 == digest)):
            continue
        source = f"config/reference/calendars/{path.name}"
        results.append(
            import_official_calendar(session=session, actor=actor, data=data, source=source, confirm=True, now=now)
        )
    return results

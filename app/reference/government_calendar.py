"""The government calendar as this deployment holds it (official years, the holiday source, overrides).

Read here, below the case services, so that the alerting (duty rosters) and the deadlines read one truth.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import CalendarOverride, OfficialCalendarYear
from app.reference.freshness import cached
from app.settings_access import calendar_source
from dispatch.roster import DayType
from sla.calendar import DayKind, GovernmentCalendar, Override, SourceDay, YearOutOfRange, YearTable


def load_calendar(session: Session) -> GovernmentCalendar:
    """The calendar's truth in this transaction: imported official years, the holiday source for the
    others, and the overrides on top (a handful of rows)."""
    overrides = [
        Override(row.day, row.working, row.reason, row.starts_at, row.ends_at)
        for row in session.scalars(select(CalendarOverride))
    ]
    return GovernmentCalendar(
        overrides,
        official=[official_table(row) for row in session.scalars(select(OfficialCalendarYear))],
        source=calendar_source(),
    )


def cached_calendar(session: Session) -> GovernmentCalendar:
    """load_calendar's answer from this process's cache (app/reference/freshness.py): every intake reads it.
    Per holiday source: a new one (the package upgraded) is a new calendar. The cached calendar holds its
    source, so the id cannot be reused by another while the entry lives."""
    return cached(session, ("calendar", id(calendar_source())), lambda: load_calendar(session))


def official_table(row: OfficialCalendarYear) -> YearTable:
    days = {date.fromisoformat(day): SourceDay(bool(off), name) for day, off, name in row.days}
    return YearTable.of(row.year, row.source, days, official=True)


def roster_day_type(calendar: GovernmentCalendar, day: date) -> DayType:
    """What a duty roster makes of a day: a weekday off (holiday, typhoon closure) is a holiday, a worked
    weekend day a make-up workday; anything else (partial closures too) is what its weekday says."""
    try:
        kind = calendar.describe(day).kind
    except YearOutOfRange:
        return DayType.USUAL
    weekend = day.weekday() >= 5
    if not weekend and kind in (DayKind.HOLIDAY, DayKind.CLOSED):
        return DayType.HOLIDAY
    if weekend and kind in (DayKind.MAKEUP_WORKDAY, DayKind.OPENED):
        return DayType.MAKEUP
    return DayType.USUAL

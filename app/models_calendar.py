"""The working-day calendar's rows: administrators' overrides, imported official years, and what the holiday
source said last (re-exported by app.models)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class CalendarOverride(Base):
    """An administrator's correction to the government calendar: a typhoon closure (停班) or a late change."""

    __tablename__ = "calendar_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    working: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(200))
    # A partial override (今天下午停班): from `starts_at` until `ends_at`, local time; NULL is midnight.
    starts_at: Mapped[time | None] = mapped_column(Time)
    ends_at: Mapped[time | None] = mapped_column(Time)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfficialCalendarYear(Base):
    """A year of the government's office calendar as imported: the truth for that year."""

    __tablename__ = "official_calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(300))
    file_sha256: Mapped[str] = mapped_column(String(64))
    # [["2026-01-01", true, "開國紀念日"], ...]: the days the weekend rule does not tell, and named ones.
    days: Mapped[list[Any]] = mapped_column(JSON)
    days_off: Mapped[int] = mapped_column(Integer)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarSourceMark(Base):
    """What the holiday source (the `holidays` package) said when deadlines were last computed on it."""

    __tablename__ = "calendar_source_marks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[str] = mapped_column(String(100))
    years: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"2026": "<sha256 of the year's days>"}
    noticed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

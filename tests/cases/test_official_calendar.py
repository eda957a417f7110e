"""The calendar's truth changing under open cases: an official year imported, a new holiday source noticed."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.access import Actor
from app.cases.official_calendar import calendar_status, import_official_calendar, notice_source_change
from app.db import db
from app.errors import Conflict, InvalidInput
from app.models import CaseEvent, OfficialCalendarYear
from app.settings_access import CALENDAR_SOURCE
from app.vocabulary import Role
from app.worker import notice_calendar_source
from sla.calendar import PACKAGE, SourceDay, YearTable
from tests.factories import Factory

TZ = ZoneInfo("Asia/Taipei")
ADMIN = Actor(user_id=None, username="admin", role=Role.ADMIN)
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "calendar_2026_official.csv"
SOURCE = "行政院人事行政總處 115年政府行政機關辦公日曆表"
MONDAY_BEFORE_CHRISTMAS = datetime(2026, 12, 21, 9, 0, tzinfo=TZ)


def _with_day_off(day: str, name: str) -> bytes:
    """The 2026 file with one more weekday off, as a corrected edition would have it."""
    text = FIXTURE.read_text(encoding="utf-8-sig")
    line = next(line for line in text.splitlines() if line.startswith(day))
    return text.replace(line, f"{line.split(',')[0]},{line.split(',')[1]},2,{name}").encode("utf-8-sig")


def _events(case_id: int) -> list[CaseEvent]:
    return list(
        db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.event_type == "sla_recomputed")
        )
    )


def _official_years() -> int:
    return db.session.scalar(select(func.count()).select_from(OfficialCalendarYear)) or 0


def test_the_2026_file_is_previewed_with_its_differences_then_becomes_the_official_year(factory: Factory) -> None:
    petition = factory.case(now=MONDAY_BEFORE_CHRISTMAS, category_code="noise", description="噪音")
    shown = import_official_calendar(
        session=db.session, actor=ADMIN, data=FIXTURE.read_bytes(), source=SOURCE, preview=True
    )
    assert not shown.applied and shown.moved == 0 and _official_years() == 0
    renamed = {change.after.day: (change.before.name, change.after.name) for change in shown.changes}
    assert renamed[date(2026, 9, 28)] == ("孔子誕辰紀念日", "教師節")
    assert not any(change.moves_time for change in shown.changes)

    done = import_official_calendar(session=db.session, actor=ADMIN, data=FIXTURE.read_bytes(), source=SOURCE)
    assert done.applied and not done.replaced and done.year == 2026
    years = {state.year: state for state in calendar_status(db.session, today=date(2026, 11, 30)).years}
    assert years[2026].official and years[2026].source == SOURCE and years[2026].days_off == 120
    assert not years[2027].official
    assert not _events(petition.id)


def test_an_import_that_moves_deadlines_needs_confirmation_and_then_says_why(factory: Factory) -> None:
    petition = factory.case(now=MONDAY_BEFORE_CHRISTMAS, category_code="noise", description="噪音")
    assert petition.report_due_at is not None
    assert petition.report_due_at.astimezone(TZ) == datetime(2026, 12, 30, 9, 0, tzinfo=TZ)
    corrected = _with_day_off("20261224", "調整放假")
    now = datetime(2026, 12, 21, 10, 0, tzinfo=TZ)

    with pytest.raises(Conflict) as refusal:
        import_official_calendar(session=db.session, actor=ADMIN, data=corrected, source=SOURCE, now=now)
    assert refusal.value.code == "calendar.import_needs_confirmation" and refusal.value.params["count"] == 1
    db.session.refresh(petition)
    assert petition.report_due_at.astimezone(TZ) == datetime(2026, 12, 30, 9, 0, tzinfo=TZ)
    assert _official_years() == 0 and not _events(petition.id)

    done = import_official_calendar(
        session=db.session, actor=ADMIN, data=corrected, source=SOURCE, confirm=True, now=now
    )
    assert done.moved == 1 and [change.after.day for change in done.changes if change.moves_time] == [
        date(2026, 12, 24)
    ]
    db.session.refresh(petition)
    assert petition.report_due_at.astimezone(TZ) == datetime(2026, 12, 31, 9, 0, tzinfo=TZ)
    [event] = _events(petition.id)
    assert event.payload["cause"] == "official_import" and event.payload["year"] == 2026
    assert SOURCE in event.payload["reason"]


def test_a_bad_file_is_refused_line_by_line_and_nothing_is_applied(factory: Factory) -> None:
    petition = factory.case(now=MONDAY_BEFORE_CHRISTMAS, category_code="noise", description="噪音")
    due = petition.report_due_at
    broken = FIXTURE.read_bytes().replace(b"20260107,\xe4\xb8\x89", b"20260107,\xe4\xba\x94")  # 三 -> 五
    with pytest.raises(InvalidInput) as refusal:
        import_official_calendar(session=db.session, actor=ADMIN, data=broken, source=SOURCE, confirm=True)
    assert refusal.value.code == "calendar.file_invalid"
    assert refusal.value.fields == {"line 8": ["calendar.csv.weekday_mismatch"]}
    with pytest.raises(InvalidInput) as other_year:
        import_official_calendar(
            session=db.session, actor=ADMIN, data=FIXTURE.read_bytes(), source=SOURCE, year=2027, confirm=True
        )
    assert other_year.value.fields["line 2"] == ["calendar.csv.other_year"]
    assert {code for codes in other_year.value.fields.values() for code in codes} == {"calendar.csv.other_year"}
    db.session.refresh(petition)
    assert petition.report_due_at == due and _official_years() == 0 and not _events(petition.id)


def test_a_deadline_crossing_into_an_estimated_year_is_flagged(factory: Factory) -> None:
    petition = factory.case(now=datetime(2026, 12, 28, 9, 0, tzinfo=TZ), category_code="noise", description="年底陳情")
    agent = factory.user("supervisor")
    sla = agent.get(f"/cases/{petition.case_no}").get_json()["sla"]
    assert sla["report_due_at"].startswith("2027-01-06T09:00")
    assert sla["calendar_estimated"] is True and sla["estimated_years"] == [2026, 2027]
    import_official_calendar(session=db.session, actor=ADMIN, data=FIXTURE.read_bytes(), source=SOURCE)
    sla = agent.get(f"/cases/{petition.case_no}").get_json()["sla"]
    assert sla["calendar_estimated"] is True and sla["estimated_years"] == [2027]
    # A round-the-clock dispatch does not depend on the calendar at all.
    dispatch = factory.case(now=datetime(2026, 12, 31, 22, 0, tzinfo=TZ))
    assert agent.get(f"/cases/{dispatch.case_no}").get_json()["sla"]["calendar_estimated"] is False


class EditedSource:
    """The `holidays` package as a later version might have it: the same, plus some days off."""

    def __init__(self, version: str, extra: dict[date, str]) -> None:
        self.version, self.extra = version, extra

    def table(self, year: int) -> YearTable:
        days = dict(PACKAGE.table(year).entries)
        days.update({day: SourceDay(True, name) for day, name in self.extra.items() if day.year == year})
        return YearTable.of(year, self.version, days, official=False)


def test_a_new_version_of_the_holiday_source_recomputes_open_cases_once(app: Flask, factory: Factory) -> None:
    app.extensions[CALENDAR_SOURCE] = EditedSource("holidays 1.0", {})
    monday = datetime(2027, 3, 8, 9, 0, tzinfo=TZ)
    petition = factory.case(now=monday, category_code="noise", description="噪音")
    assert petition.report_due_at is not None
    assert petition.report_due_at.astimezone(TZ) == datetime(2027, 3, 16, 9, 0, tzinfo=TZ)
    first = notice_source_change(session=db.session, now=monday)
    assert first.previous is None and first.recomputed is not None and first.recomputed.moved == 0

    # The upgrade: 2027-03-10 becomes a day off; the worker notices it when it starts.
    app.extensions[CALENDAR_SOURCE] = EditedSource("holidays 2.0", {date(2027, 3, 10): "調整放假"})
    notice_calendar_source(app)
    db.session.refresh(petition)
    assert petition.report_due_at.astimezone(TZ) == datetime(2027, 3, 17, 9, 0, tzinfo=TZ)
    [event] = _events(petition.id)
    assert event.payload["cause"] == "source_update" and event.payload["changed_years"] == [2027]
    assert "holidays 1.0 → holidays 2.0" in event.payload["reason"]

    again = notice_source_change(session=db.session, now=monday)
    assert again.recomputed is None and again.previous == "holidays 2.0"
    assert len(_events(petition.id)) == 1


def test_flask_seed_imports_the_shipped_official_calendars_once(app: Flask) -> None:
    """A fresh installation knows 2026 as published; seeding again imports nothing a second time."""
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert "Official calendar 2026 imported" in first.output
    years = {state.year: state for state in calendar_status(db.session, today=date(2026, 11, 30)).years}
    assert years[2026].official and years[2026].source == "config/reference/calendars/2026.csv"
    assert not years[2027].official  # not published in the files: still an estimate, and said so
    again = runner.invoke(args=["seed"])
    assert again.exit_code == 0 and "Official calendar" not in again.output
    assert _official_years() == 1

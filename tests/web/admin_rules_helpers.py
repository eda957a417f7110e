"""Shared by the rules' administration page tests: an administrator, a petition on working time, the change log."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.cases import deadlines
from app.db import db
from app.models import AdminChange, Case, CaseEvent
from app.vocabulary import EventType
from sla.calendar import DayKind


def petition(factory, **overrides: Any) -> Case:
    """A noise complaint: a petition whose deadlines run on working time."""
    fields = {
        "category_code": "noise",
        "district_code": "sanmin",
        "address": "三民區建國二路318號",
        "description": "深夜卡拉OK噪音",
        **overrides,
    }
    return factory.case(**fields)


def working_day_before_due(case: Case, tz) -> date:
    """A working day after tomorrow and before the case's report deadline: closing it moves the deadline."""
    calendar = deadlines.load_calendar(db.session)
    due = case.report_due_at.astimezone(tz).date()
    day = datetime.now(tz).date() + timedelta(days=2)
    while day < due:
        kind = next(entry.kind for entry in calendar.year(day.year) if entry.day == day)
        if kind in (DayKind.WORKING, DayKind.MAKEUP_WORKDAY):
            return day
        day += timedelta(days=1)
    raise AssertionError("no working day before the deadline")


def admin_changes() -> list[AdminChange]:
    db.session.rollback()
    return list(db.session.scalars(select(AdminChange).order_by(AdminChange.id)))


def fresh_case(case_id: int) -> Case:
    db.session.rollback()
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert case is not None
    return case


def recomputed_events(case_id: int) -> list[CaseEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.event_type == EventType.SLA_RECOMPUTED)
        )
    )

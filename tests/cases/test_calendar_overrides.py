"""Typhoon days and late calendar changes: declared by an administrator, felt by open cases at once."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from app.access import Actor
from app.cases.calendar import remove_override, set_override
from app.db import db
from app.errors import Forbidden, InvalidInput
from app.models import CaseEvent
from app.vocabulary import Role
from tests.factories import Factory

TZ = ZoneInfo("Asia/Taipei")
ADMIN = Actor(user_id=None, username="admin", role=Role.ADMIN)
# Typhoon Gaemi: Kaohsiung closed its offices on 2024-07-24 and 07-25, announced the evening before.
TUESDAY = datetime(2024, 7, 23, 9, 0, tzinfo=TZ)
EVENING_BEFORE = datetime(2024, 7, 23, 20, 0, tzinfo=TZ)


def test_a_typhoon_day_declared_while_cases_are_open_moves_their_deadlines(factory: Factory) -> None:
    petition = factory.case(now=TUESDAY, category_code="noise", description="夜間施工噪音")
    dispatch = factory.case(now=TUESDAY)
    assert petition.report_due_at is not None
    assert petition.report_due_at.astimezone(TZ) == datetime(2024, 7, 31, 9, 0, tzinfo=TZ)
    dispatch_due = dispatch.report_due_at

    result = set_override(
        session=db.session, actor=ADMIN, day=date(2024, 7, 24), working=False, reason="凱米颱風停班", now=EVENING_BEFORE
    )
    assert result.recomputed == 1
    db.session.refresh(petition)
    db.session.refresh(dispatch)
    # One working day later; the round-the-clock dispatch does not move.
    assert petition.report_due_at.astimezone(TZ) == datetime(2024, 8, 1, 9, 0, tzinfo=TZ)
    assert dispatch.report_due_at == dispatch_due
    event = db.session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == petition.id, CaseEvent.event_type == "sla_recomputed")
    )
    assert event is not None and event.payload["reason"] == "凱米颱風停班"
    assert event.payload["report_due_at"].startswith("2024-08-01T01:00")  # 09:00 in Taipei, stored in UTC

    # The second typhoon day, then both taken back: the deadline returns to where it was.
    set_override(
        session=db.session, actor=ADMIN, day=date(2024, 7, 25), working=False, reason="凱米颱風停班", now=EVENING_BEFORE
    )
    db.session.refresh(petition)
    assert petition.report_due_at.astimezone(TZ) == datetime(2024, 8, 2, 9, 0, tzinfo=TZ)
    for day in (date(2024, 7, 24), date(2024, 7, 25)):
        remove_override(session=db.session, actor=ADMIN, day=day, now=EVENING_BEFORE)
    db.session.refresh(petition)
    assert petition.report_due_at.astimezone(TZ) == datetime(2024, 7, 31, 9, 0, tzinfo=TZ)


def test_an_override_for_a_past_day_is_refused_unless_confirmed(app: Flask) -> None:
    with pytest.raises(InvalidInput) as refusal:
        set_override(
            session=db.session, actor=ADMIN, day=date(2024, 7, 22), working=False, reason="補登", now=EVENING_BEFORE
        )
    assert refusal.value.code == "calendar.override_in_past"
    result = set_override(
        session=db.session,
        actor=ADMIN,
        day=date(2024, 7, 22),
        working=False,
        reason="補登",
        now=EVENING_BEFORE,
        allow_past=True,
    )
    assert result.working is False


def test_only_administrators_change_the_calendar(app: Flask) -> None:
    supervisor = Actor(user_id=None, username="sup", role=Role.SUPERVISOR)
    with pytest.raises(Forbidden):
        set_override(
            session=db.session, actor=supervisor, day=date(2024, 7, 24), working=False, reason="x", now=EVENING_BEFORE
        )


def test_a_closure_of_a_weekend_day_moves_nothing(factory: Factory) -> None:
    factory.case(now=TUESDAY, category_code="noise", description="噪音")
    saturday = TUESDAY.date() + timedelta(days=4)
    result = set_override(
        session=db.session, actor=ADMIN, day=saturday, working=False, reason="颱風", now=EVENING_BEFORE
    )
    assert result.recomputed == 0

"""Typhoon days and late calendar changes: declared by an administrator, felt by open cases at once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.access import Actor
from app.cases import requests
from app.cases.calendar import remove_override, set_override
from app.cases.sweep import sweep
from app.db import db
from app.errors import Forbidden, InvalidInput
from app.models import CalendarOverride, CaseEvent
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


def _recomputed(case_id: int) -> list[CaseEvent]:
    return list(
        db.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id, CaseEvent.event_type == "sla_recomputed")
            .order_by(CaseEvent.id)
        )
    )


def _local(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment.astimezone(TZ)


def test_an_afternoon_typhoon_closure_moves_a_petition_by_exactly_the_closed_working_hours(factory: Factory) -> None:
    petition = factory.case(now=TUESDAY, category_code="noise", description="夜間施工噪音")
    assert _local(petition.report_due_at) == datetime(2024, 7, 31, 9, 0, tzinfo=TZ)

    result = set_override(
        session=db.session,
        actor=ADMIN,
        day=date(2024, 7, 24),
        working=False,
        reason="凱米颱風下午停班",
        start=time(13, 30),
        now=datetime(2024, 7, 24, 11, 0, tzinfo=TZ),
    )
    assert result.recomputed == 1 and result.start == time(13, 30)
    db.session.refresh(petition)
    # 13:30-17:30 closed: four working hours later, 09:00 + 3.5 h to lunch + 0.5 h = 14:00.
    assert _local(petition.report_due_at) == datetime(2024, 7, 31, 14, 0, tzinfo=TZ)
    [event] = _recomputed(petition.id)
    assert event.payload["cause"] == "override" and event.payload["reason"] == "凱米颱風下午停班"
    assert (event.payload["from"], event.payload["until"]) == ("13:30", "24:00")
    assert "now_overdue" not in event.payload

    # From 18:00 closes no working hour: stored, nothing moves.
    evening = set_override(
        session=db.session,
        actor=ADMIN,
        day=date(2024, 7, 25),
        working=False,
        reason="晚間停班",
        start=time(18, 0),
        now=datetime(2024, 7, 24, 11, 0, tzinfo=TZ),
    )
    assert evening.recomputed == 0 and len(_recomputed(petition.id)) == 1


def test_an_empty_or_overnight_range_is_refused_and_changes_nothing(factory: Factory) -> None:
    petition = factory.case(now=TUESDAY, category_code="noise", description="噪音")
    due = petition.report_due_at
    for start, end in ((time(13, 30), time(13, 30)), (time(18, 0), time(8, 0))):
        with pytest.raises(InvalidInput) as refusal:
            set_override(
                session=db.session,
                actor=ADMIN,
                day=date(2024, 7, 24),
                working=False,
                reason="颱風",
                start=start,
                end=end,
                now=EVENING_BEFORE,
            )
        assert refusal.value.code == "calendar.bad_range"
    db.session.refresh(petition)
    assert petition.report_due_at == due and not _recomputed(petition.id)
    assert db.session.scalar(select(func.count()).select_from(CalendarOverride)) == 0


def test_a_recorded_breach_stays_and_a_deadline_moved_into_the_past_is_said(factory: Factory) -> None:
    late = factory.case(now=datetime(2024, 7, 1, 9, 0, tzinfo=TZ), category_code="noise", description="已逾期")
    running = factory.case(now=datetime(2024, 7, 8, 9, 0, tzinfo=TZ), category_code="noise", description="還在期限內")
    now = datetime(2024, 7, 15, 10, 0, tzinfo=TZ)
    sweep(db.session, now=now)
    db.session.refresh(late)
    breached_at, running_due = late.report_due_at, running.report_due_at
    assert late.sla_stage in ("breached", "escalated")
    assert _local(running_due) == datetime(2024, 7, 16, 9, 0, tzinfo=TZ)

    # Late entries, confirmed: 07-03 was a typhoon day, Saturday 07-13 a make-up day.
    for day, working in ((date(2024, 7, 3), False), (date(2024, 7, 13), True)):
        set_override(session=db.session, actor=ADMIN, day=day, working=working, reason="補登", now=now, allow_past=True)
    db.session.refresh(late)
    db.session.refresh(running)
    assert late.report_due_at == breached_at and late.sla_stage in ("breached", "escalated")
    assert _local(running.report_due_at) == datetime(2024, 7, 15, 9, 0, tzinfo=TZ)
    assert _recomputed(running.id)[-1].payload["now_overdue"] is True


def test_an_approved_extension_is_office_time_on_the_petitions_clock_and_moves_with_a_typhoon_day(
    factory: Factory,
) -> None:
    petition = factory.case(now=TUESDAY, category_code="noise", description="夜間施工噪音")
    assert petition.report_due_at is not None
    assert petition.report_due_at.astimezone(TZ) == datetime(2024, 7, 31, 9, 0, tzinfo=TZ)
    responder = factory.user("agency", agency=petition.agency.code).actor
    wanted = datetime(2024, 8, 2, 9, 0, tzinfo=TZ)  # two more working days (Wednesday and Thursday)
    asked = requests.request_extension(
        session=db.session,
        actor=responder,
        case_no=petition.case_no,
        report_due_at=wanted,
        reason="需會同其他單位查察",
        now=TUESDAY + timedelta(hours=1),
    )
    requests.approve_request(
        session=db.session,
        actor=factory.user("supervisor").actor,
        request_id=asked.id,
        now=TUESDAY + timedelta(hours=2),
    )
    db.session.refresh(petition)
    assert petition.report_due_at.astimezone(TZ) == wanted
    assert petition.report_extension_seconds == 16 * 3600  # sixteen office hours, not two calendar days
    # A typhoon day declared afterwards moves the extended deadline by a working day, as the case's own clock does.
    set_override(
        session=db.session, actor=ADMIN, day=date(2024, 7, 24), working=False, reason="凱米颱風停班", now=EVENING_BEFORE
    )
    db.session.refresh(petition)
    assert petition.report_due_at.astimezone(TZ) == datetime(2024, 8, 5, 9, 0, tzinfo=TZ)  # past the weekend

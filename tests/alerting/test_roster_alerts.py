"""Dispatch SMS and the ladder's duty calls go to whoever the duty roster has on duty then, and say whom."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.access import Actor
from app.alerting.escalation import climb
from app.db import db
from app.models import AdminChange, CalendarOverride, CaseEvent, Notification
from app.reference import rosters
from app.telephony.replies import reply_to_sms
from app.vocabulary import CaseStatus, Role
from tests.factories import Factory

TZ = ZoneInfo("Asia/Taipei")
ADMIN = Actor(user_id=None, username="admin-test", role=Role.ADMIN)
# 2025-03-05 is a Wednesday, a working day.
WEDNESDAY_23 = datetime(2025, 3, 5, 23, 0, tzinfo=TZ)
WEDNESDAY_10 = datetime(2025, 3, 5, 10, 0, tzinfo=TZ)
WORKDAYS = ["mon", "tue", "wed", "thu", "fri"]
DAY_PHONE, NIGHT_PHONE = "+886912555001", "+886912555002"


def _shift(agency: str = "PWD-MAINT", **given: Any) -> None:
    """A weekly shift added by an administrator."""
    rosters.add_shift(session=db.session, actor=ADMIN, agency_code=agency, **given)


def _override(**given: Any) -> None:
    """A one-off override of PWD-MAINT's roster added by an administrator."""
    rosters.add_override(session=db.session, actor=ADMIN, agency_code="PWD-MAINT", **given)


def _roster(agency: str = "PWD-MAINT") -> None:
    _shift(agency=agency, name="陳日班", phone="0912-555-001", days=WORKDAYS, start=time(8), end=time(18))
    _shift(agency=agency, name="林夜班", phone="0912-555-002", days=WORKDAYS, start=time(18), end=time(8))


def _sms(case_id: int) -> list[tuple[str | None, str]]:
    rows = db.session.scalars(
        select(Notification).where(Notification.case_id == case_id, Notification.kind == "dispatch_sms")
    )
    return [(row.recipient_name, row.recipient) for row in rows]


def test_a_dispatch_at_23_texts_the_night_shift_and_names_it(factory: Factory) -> None:
    _roster()
    case = factory.case(now=WEDNESDAY_23)
    assert case.agency is not None and case.agency.code == "PWD-MAINT"
    assert _sms(case.id) == [("林夜班", NIGHT_PHONE)]
    # The ladder's first call rings the night shift too, and its event says whom it called.
    climb(db.session, now=WEDNESDAY_23 + timedelta(minutes=10))
    calls = db.session.scalars(
        select(Notification).where(Notification.case_id == case.id, Notification.kind == "duty_call")
    )
    assert [(row.recipient_name, row.recipient) for row in calls] == [("林夜班", NIGHT_PHONE)]
    step = db.session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.event_type == "alert_escalated")
    )
    assert step is not None
    assert step.payload["called"] == [{"name": "林夜班", "phone": NIGHT_PHONE}] and step.payload["from_roster"]


def test_a_dispatch_in_the_day_texts_the_day_shift_and_the_api_says_whom(factory: Factory) -> None:
    _roster()
    case = factory.case(now=WEDNESDAY_10)
    assert _sms(case.id) == [("陳日班", DAY_PHONE)]
    shown = factory.agent.get(f"/cases/{case.case_no}/notifications").get_json()
    assert [(row["recipient_name"], row["recipient"]) for row in shown if row["kind"] == "dispatch_sms"] == [
        ("陳日班", DAY_PHONE)
    ]


def test_without_a_roster_the_duty_phones_are_texted_as_before(factory: Factory) -> None:
    case = factory.case(now=WEDNESDAY_23)
    assert case.agency is not None
    assert [phone for _name, phone in _sms(case.id)] == case.agency.duty_phones


def test_when_nobody_is_on_duty_the_duty_phones_take_it(factory: Factory) -> None:
    # Only a weekday shift: Saturday noon has nobody on the roster.
    _shift(name="陳日班", phone="0912555001", days=WORKDAYS, start=time(8), end=time(18))
    case = factory.case(now=datetime(2025, 3, 8, 12, 0, tzinfo=TZ))
    assert case.agency is not None
    assert [phone for _name, phone in _sms(case.id)] == case.agency.duty_phones


def test_a_typhoon_closure_makes_a_weekday_a_holiday_for_the_roster(factory: Factory) -> None:
    _roster()
    _shift(name="王颱風", phone="0912555009", days=["holiday"], start=time(0), end=time(0), confirm_overlap=True)
    db.session.add(CalendarOverride(day=WEDNESDAY_10.date(), working=False, reason="颱風停班"))
    db.session.commit()
    case = factory.case(now=WEDNESDAY_10)
    assert _sms(case.id) == [("王颱風", "+886912555009")]


def test_the_official_calendar_s_holidays_and_make_up_workdays_pick_their_own_entries(factory: Factory) -> None:
    _roster()
    _shift(name="王假日", phone="0912555009", days=["holiday"], start=time(0), end=time(0), confirm_overlap=True)
    _shift(name="李週六", phone="0912555006", days=["sat"], start=time(8), end=time(18))
    _shift(name="張補班", phone="0912555008", days=["makeup"], start=time(8), end=time(18))
    # 2025-02-28 is a Friday and 和平紀念日; 2025-02-08 is a Saturday worked in exchange (補行上班).
    holiday = factory.case(now=datetime(2025, 2, 28, 10, 0, tzinfo=TZ))
    assert _sms(holiday.id) == [("王假日", "+886912555009")]
    makeup = factory.case(now=datetime(2025, 2, 8, 10, 0, tzinfo=TZ), description="補班日的倒樹")
    assert _sms(makeup.id) == [("張補班", "+886912555008")]
    saturday = factory.case(now=datetime(2025, 2, 15, 10, 0, tzinfo=TZ), description="平常週六的倒樹")
    assert _sms(saturday.id) == [("李週六", "+886912555006")]


def test_an_override_beats_the_rotation(factory: Factory) -> None:
    _roster()
    _override(
        name="代理人",
        phone="0912555077",
        starts_at=WEDNESDAY_23 - timedelta(hours=1),
        ends_at=WEDNESDAY_23 + timedelta(hours=2),
        reason="請假代理",
    )
    case = factory.case(now=WEDNESDAY_23)
    assert _sms(case.id) == [("代理人", "+886912555077")]
    assert db.session.scalar(select(AdminChange).where(AdminChange.object_type == "roster_override")) is not None


def test_the_night_shift_acknowledges_by_replying(factory: Factory) -> None:
    _roster()
    case = factory.case(now=WEDNESDAY_23)
    answer = reply_to_sms(db.session, sender=NIGHT_PHONE, body="1", now=WEDNESDAY_23 + timedelta(minutes=2))
    assert case.case_no in answer
    db.session.expire_all()
    db.session.refresh(case)
    assert case.status is CaseStatus.ACKNOWLEDGED

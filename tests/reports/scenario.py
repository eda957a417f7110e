"""A hand-built July 2023 (Asia/Taipei) for the monthly report, through the real service functions.

Every figure the tests expect is worked out by hand in tests/reports/test_monthly.py from what is
written here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.access import Actor
from app.calls.service import end_call, start_call
from app.cases.actions import (
    acknowledge_case,
    assign_case,
    merge_case,
    report_back,
    resume_case,
    wait_for_citizen,
)
from app.cases.requests import approve_request, request_extension
from app.cases.review import return_case
from app.db import db
from app.models import Case
from app.vocabulary import CallOutcome
from tests.factories import Factory

TZ = ZoneInfo("Asia/Taipei")


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2023) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def fresh(case_no: str) -> Case:
    case = db.session.scalar(select(Case).where(Case.case_no == case_no).execution_options(populate_existing=True))
    assert case is not None
    return case


def return_to_agency(actor: Actor, case_no: str, now: datetime) -> None:
    """退回 by the closure review: the report refused, a new round for the agency."""
    return_case(
        session=db.session, actor=actor, case_no=case_no, version=fresh(case_no).version, reason="現場照片不足", now=now
    )


def approve_extension(agency: Actor, supervisor: Actor, case_no: str, now: datetime, new_due: datetime) -> None:
    """展延: the agency asks for `new_due` a minute before the supervisor approves it."""
    request = request_extension(
        session=db.session,
        actor=agency,
        case_no=case_no,
        report_due_at=new_due,
        reason="需調度吊車",
        now=now - timedelta(minutes=1),
    )
    approve_request(session=db.session, actor=supervisor, request_id=request.id, now=now)


def tree(factory: Factory, received: datetime) -> Case:
    """A fallen tree in Fongshan (派工 to PWD-MAINT: acknowledge in 15 minutes, report in 4 hours)."""
    return factory.case(now=received, received_at=received)


def build_july(factory: Factory) -> dict[str, str]:
    """The month; returns the case numbers of the special cases by name."""
    agent = factory.agent.actor
    pwd = factory.named_user("pwd", "agency", "PWD-MAINT").actor
    wrb = factory.named_user("wrb", "agency", "WRB").actor
    epb = factory.named_user("epb", "agency", "EPB").actor
    supervisor = factory.named_user("sup", "supervisor").actor
    names: dict[str, str] = {}

    def ack(actor: Actor, case_no: str, now: datetime) -> None:
        acknowledge_case(session=db.session, actor=actor, case_no=case_no, version=fresh(case_no).version, now=now)

    def report(actor: Actor, case_no: str, now: datetime) -> None:
        report_back(
            session=db.session, actor=actor, case_no=case_no, version=fresh(case_no).version, text="已處理", now=now
        )

    # June 30 23:50 Taipei: June's, not July's (the previous month has this one case).
    june = tree(factory, at(6, 30, 23, 50))
    ack(pwd, june.case_no, at(7, 1, 0, 0))
    report(pwd, june.case_no, at(7, 1, 2, 0))
    names["june"] = june.case_no

    # 25 routine trees on July 10: acknowledged after i minutes, reported after 2 h + i minutes.
    for i in range(1, 26):
        received = at(7, 10, 8) + timedelta(minutes=10 * i)
        case = tree(factory, received)
        ack(pwd, case.case_no, received + timedelta(minutes=i))
        report(pwd, case.case_no, received + timedelta(hours=2, minutes=i))
        names.setdefault("routine", case.case_no)

    # July 31 23:30 Taipei (15:30 UTC): July's. Acknowledged after 40 minutes, reported after 3 hours.
    late = tree(factory, at(7, 31, 23, 30))
    ack(pwd, late.case_no, at(8, 1, 0, 10))
    report(pwd, late.case_no, at(8, 1, 2, 30))
    names["boundary"] = late.case_no

    # Paused: 12 hours from call to report, 10 of them waiting for the citizen.
    paused = tree(factory, at(7, 12, 9))
    ack(pwd, paused.case_no, at(7, 12, 9, 5))
    wait_for_citizen(
        session=db.session,
        actor=pwd,
        case_no=paused.case_no,
        version=fresh(paused.case_no).version,
        reason="請民眾提供照片",
        now=at(7, 12, 10),
    )
    resume_case(
        session=db.session, actor=pwd, case_no=paused.case_no, version=fresh(paused.case_no).version, now=at(7, 12, 20)
    )
    report(pwd, paused.case_no, at(7, 12, 21))
    names["paused"] = paused.case_no

    # Re-routed: PWD-MAINT for an hour, then WRB from 09:00 (acknowledged 09:10, reported 12:00).
    moved = tree(factory, at(7, 14, 8))
    assign_case(
        session=db.session,
        actor=agent,
        case_no=moved.case_no,
        version=fresh(moved.case_no).version,
        agency_code="WRB",
        now=at(7, 14, 9),
    )
    ack(wrb, moved.case_no, at(7, 14, 9, 10))
    report(wrb, moved.case_no, at(7, 14, 12))
    names["rerouted"] = moved.case_no

    # Merged into the paused case: a duplicate, measured nowhere.
    duplicate = tree(factory, at(7, 12, 9, 30))
    merge_case(
        session=db.session,
        actor=agent,
        case_no=duplicate.case_no,
        version=fresh(duplicate.case_no).version,
        into_case_no=paused.case_no,
        now=at(7, 12, 9, 40),
    )
    names["merged"] = duplicate.case_no

    # Extended: due 14:00, extended at 13:00 to 18:00, reported 16:00 (6 hours, within the 8 allowed).
    extended = tree(factory, at(7, 16, 10))
    ack(pwd, extended.case_no, at(7, 16, 10, 5))
    approve_extension(pwd, supervisor, extended.case_no, at(7, 16, 13), at(7, 16, 18))
    report(pwd, extended.case_no, at(7, 16, 16))
    names["extended"] = extended.case_no

    # Returned: reported 11:00, returned 12:00; the new round acknowledged at 12:20, reported 13:00.
    returned = tree(factory, at(7, 17, 10))
    ack(pwd, returned.case_no, at(7, 17, 10, 5))
    report(pwd, returned.case_no, at(7, 17, 11))
    return_to_agency(supervisor, returned.case_no, at(7, 17, 12))
    ack(pwd, returned.case_no, at(7, 17, 12, 20))
    report(pwd, returned.case_no, at(7, 17, 13))
    names["returned"] = returned.case_no

    # Overdue: acknowledged, never reported (due July 20 14:00).
    overdue = tree(factory, at(7, 20, 10))
    ack(pwd, overdue.case_no, at(7, 20, 10, 5))
    names["overdue"] = overdue.case_no

    # A petition on working time: Friday 16:30 to Monday 09:30 is 2 working hours.
    petition = factory.case(
        now=at(7, 7, 16, 30), received_at=at(7, 7, 16, 30), category_code="noise", description="夜間施工噪音"
    )
    report(epb, petition.case_no, at(7, 10, 9, 30))
    names["petition"] = petition.case_no

    # August 1 00:05 Taipei: August's.
    names["august"] = tree(factory, at(8, 1, 0, 5)).case_no

    # Consultations: two answered on the line, one recorded and answered at intake, one recorded and passed on.
    for minute in (0, 10):
        call = start_call(session=db.session, actor=agent, caller="0912345678", now=at(7, 5, 9, minute))
        end_call(
            session=db.session,
            actor=agent,
            call_id=call.id,
            outcome=CallOutcome.CONSULTATION_ANSWERED,
            answer_text="垃圾車時刻請見環保局網站",
            now=at(7, 5, 9, minute + 3),
        )
    hung_up = start_call(session=db.session, actor=agent, caller=None, now=at(7, 5, 10))
    end_call(session=db.session, actor=agent, call_id=hung_up.id, outcome=CallOutcome.HUNG_UP, now=at(7, 5, 10, 1))
    factory.case(
        now=at(7, 6, 9),
        received_at=at(7, 6, 9),
        category_code="general_inquiry",
        district_code=None,
        address=None,
        description="詢問垃圾車時間",
        answer="已告知",
    )
    factory.case(
        now=at(7, 6, 10),
        received_at=at(7, 6, 10),
        category_code="general_inquiry",
        district_code=None,
        address=None,
        description="詢問補助辦法",
    )
    return names

"""A call that opens a case, or adds itself to one, in one transaction; the caller's history; duplicates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.calls.history import caller_history
from app.calls.service import add_call_to_case, end_call, open_case_for_call, start_call
from app.cases.actions import cancel_case
from app.cases.duplicates import find_duplicates
from app.cases.intake import NewCase
from app.db import db, utcnow
from app.errors import Conflict, InvalidInput
from app.models import Call, Case, CaseEvent
from app.present.audience import View
from app.present.event import event_view
from app.vocabulary import CallOutcome, Channel, EventType
from tests.conftest import TZ
from tests.factories import Factory

TREE = NewCase(
    channel=Channel.WEB,  # the call's own channel wins
    category_code="fallen_tree",
    district_code="fongshan",
    address="鳳山區光復路二段132號",
    description="路樹倒塌擋住車道",
    reporter_phone="0912-345-678",
)


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_a_call_opens_its_case_and_ends_as_case_opened_together(factory: Factory) -> None:
    call = start_call(session=db.session, actor=factory.agent.actor, caller="0912345678", channel=Channel.COUNTER)
    ended, case = open_case_for_call(
        session=db.session, actor=factory.agent.actor, call_id=call.id, new_case=TREE, tz=TZ
    )
    assert (ended.outcome, ended.case_id, case.channel, case.report_count) == (
        CallOutcome.CASE_OPENED,
        case.id,
        Channel.COUNTER,
        1,
    )


def test_a_refused_case_leaves_no_case_and_the_call_open(factory: Factory) -> None:
    call = start_call(session=db.session, actor=factory.agent.actor, caller=None)
    without_district = NewCase(channel=Channel.PHONE, category_code="fallen_tree", description="路樹倒塌")
    with pytest.raises(InvalidInput) as refused:
        open_case_for_call(
            session=db.session, actor=factory.agent.actor, call_id=call.id, new_case=without_district, tz=TZ
        )
    assert list(refused.value.fields) == ["district"]
    db.session.expire_all()
    assert (_count(Case), db.session.get(Call, call.id).outcome) == (0, None)


def test_another_callers_report_is_added_with_the_reporter_kept_and_masked_for_agencies(factory: Factory) -> None:
    case = factory.case()
    call = start_call(session=db.session, actor=factory.agent.actor, caller="0933-111-222")
    ended, _ = add_call_to_case(
        session=db.session,
        actor=factory.agent.actor,
        call_id=call.id,
        case_no=case.case_no,
        reporter_name="王小明",
        text="樹還壓著機車，請回電 0933-111-222",
    )
    db.session.expire_all()
    assert (ended.outcome, db.session.get(Case, case.id).report_count, db.session.get(Case, case.id).version) == (
        CallOutcome.ADDED_TO_CASE,
        2,
        case.version,  # nobody's open form goes stale because another citizen called
    )
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.event_type == EventType.REPORT_ADDED)).one()
    staff = event_view(event, case.case_no, View.STAFF, TZ)["payload"]
    agency = event_view(event, case.case_no, View.AGENCY, TZ)["payload"]
    assert (staff["reporter_phone"], staff["report_count"], staff["call_id"]) == ("+886933111222", 2, call.id)
    assert agency["reporter_phone"] == "0933***222" and "0933-111-222" not in agency["text"]
    assert agency["reporter_name"] == "王小明"


def test_an_anonymous_reporter_added_to_a_case_is_hidden_from_agencies(factory: Factory) -> None:
    case = factory.case()
    call = start_call(session=db.session, actor=factory.agent.actor, caller="0933-111-222")
    add_call_to_case(
        session=db.session, actor=factory.agent.actor, call_id=call.id, case_no=case.case_no, anonymous=True
    )
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.event_type == EventType.REPORT_ADDED)).one()
    agency = event_view(event, case.case_no, View.AGENCY, TZ)["payload"]
    assert (agency["reporter_name"], agency["reporter_phone"], agency["anonymous"]) == (None, None, True)


def test_a_case_no_longer_open_takes_no_report_and_nothing_changes(factory: Factory) -> None:
    case = factory.case()
    cancel_case(
        session=db.session, actor=factory.agent.actor, case_no=case.case_no, version=case.version, reason="重複"
    )
    call = start_call(session=db.session, actor=factory.agent.actor, caller="0933-111-222")
    events = _count(CaseEvent)
    with pytest.raises(Conflict):
        add_call_to_case(session=db.session, actor=factory.agent.actor, call_id=call.id, case_no=case.case_no)
    db.session.expire_all()
    assert (_count(CaseEvent), db.session.get(Case, case.id).report_count) == (events, 1)
    assert db.session.get(Call, call.id).outcome is None


def test_ending_a_call_as_added_to_a_case_counts_the_report_too(factory: Factory) -> None:
    case = factory.case()
    call = start_call(session=db.session, actor=factory.agent.actor, caller="0933-111-222")
    end_call(
        session=db.session,
        actor=factory.agent.actor,
        call_id=call.id,
        outcome=CallOutcome.ADDED_TO_CASE,
        case_no=case.case_no,
    )
    db.session.expire_all()
    assert db.session.get(Case, case.id).report_count == 2


def test_the_callers_history_puts_open_cases_first_and_counts_todays_calls(factory: Factory) -> None:
    older = factory.case(reporter_phone="0912-345-678")
    cancel_case(
        session=db.session, actor=factory.agent.actor, case_no=older.case_no, version=older.version, reason="誤報"
    )
    newer = factory.case(reporter_phone="0912 345 678", address="鳳山區光復路二段1號")
    for _ in range(3):
        start_call(session=db.session, actor=factory.agent.actor, caller="+886 912 345 678")
    history = caller_history(session=db.session, actor=factory.agent.actor, caller="0912-345-678", now=utcnow(), tz=TZ)
    assert [case.case_no for case in history.cases] == [newer.case_no, older.case_no]
    assert (history.calls_today, history.many_calls_today, len(history.calls)) == (3, True, 3)
    unknown = caller_history(session=db.session, actor=factory.agent.actor, caller="未顯示號碼", now=utcnow(), tz=TZ)
    assert (unknown.phone, unknown.cases, unknown.calls_today) == (None, [], 0)


def test_duplicates_are_open_recent_same_category_and_district_and_agencies_see_only_their_own(
    factory: Factory,
) -> None:
    now = utcnow()
    same = factory.case()
    factory.case(received_at=now - timedelta(hours=25))  # too old
    factory.case(category_code="pothole")  # another category
    factory.case(district_code="linyuan", address="林園區光復路二段132號")  # another district
    gone = factory.case()
    cancel_case(
        session=db.session, actor=factory.agent.actor, case_no=gone.case_no, version=gone.version, reason="重複"
    )

    def look(actor, caller=None):  # type: ignore[no-untyped-def]
        return [
            d.case.case_no
            for d in find_duplicates(
                session=db.session,
                actor=actor,
                category_code="fallen_tree",
                district_code="fongshan",
                address="光復路2段132號",
                caller=caller,
                now=utcnow(),
            )
        ]

    assert look(factory.agent.actor) == [same.case_no]
    assert look(factory.user("agency", agency="WRB").actor) == []
    elsewhere = factory.case(district_code="linyuan", address="林園區中山路1號", reporter_phone="0955-123-456")
    assert look(factory.agent.actor, caller="+886955123456") == [same.case_no, elsewhere.case_no]

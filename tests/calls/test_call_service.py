"""Calls on record: started with the caller's number (or unknown), ended with exactly one outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.calls.service import end_call, start_call
from app.db import db, utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.models import Call
from app.vocabulary import CallOutcome, Channel
from tests.factories import Factory


def _calls() -> int:
    return db.session.scalar(select(func.count()).select_from(Call)) or 0


@pytest.mark.parametrize("typed", ["0912-345-678", "+886 912 345 678", "０９１２３４５６７８"])
def test_a_callers_number_in_any_written_form_is_kept_as_e164(factory: Factory, typed: str) -> None:
    call = start_call(session=db.session, actor=factory.agent.actor, caller=typed)
    assert (call.caller_phone, call.caller_as_given, call.outcome) == ("+886912345678", None, None)


@pytest.mark.parametrize("typed", [None, "", "  ", "未顯示號碼", "12"])
def test_a_withheld_or_invalid_number_is_recorded_as_unknown_never_refused(factory: Factory, typed: str | None) -> None:
    call = start_call(session=db.session, actor=factory.agent.actor, caller=typed)
    assert call.caller_phone is None
    assert call.caller_as_given == ((typed or "").strip() or None)


def test_an_agency_responder_takes_no_calls_and_nothing_is_recorded(factory: Factory) -> None:
    responder = factory.user("agency", agency="PWD-MAINT")
    with pytest.raises(Forbidden):
        start_call(session=db.session, actor=responder.actor, caller="0912345678")
    assert _calls() == 0


def test_a_consultation_is_answered_on_the_line_with_no_case(factory: Factory) -> None:
    started = utcnow()
    call = start_call(session=db.session, actor=factory.agent.actor, caller="0912345678", now=started)
    ended = end_call(
        session=db.session,
        actor=factory.agent.actor,
        call_id=call.id,
        outcome=CallOutcome.CONSULTATION_ANSWERED,
        answer_text="垃圾車時刻請查環保局網站",
        now=started + timedelta(minutes=2),
    )
    assert (ended.outcome, ended.case_id, ended.answer_text) == (
        CallOutcome.CONSULTATION_ANSWERED,
        None,
        "垃圾車時刻請查環保局網站",
    )
    assert ended.ended_at - ended.started_at == timedelta(minutes=2)


def test_a_call_that_opened_a_case_names_it(factory: Factory) -> None:
    case = factory.case()
    call = start_call(session=db.session, actor=factory.agent.actor, caller="0912345678", channel=Channel.COUNTER)
    end_call(
        session=db.session,
        actor=factory.agent.actor,
        call_id=call.id,
        outcome=CallOutcome.CASE_OPENED,
        case_no=case.case_no,
    )
    assert db.session.scalars(select(Call.case_id)).all() == [case.id]


@pytest.mark.parametrize(
    ("outcome", "field"),
    [
        (CallOutcome.CASE_OPENED, "case_no"),
        (CallOutcome.ADDED_TO_CASE, "case_no"),
        (CallOutcome.PROGRESS_INQUIRY, "case_no"),
        (CallOutcome.CONSULTATION_ANSWERED, "answer_text"),
        (CallOutcome.TRANSFERRED, "transferred_to"),
    ],
)
def test_an_outcome_missing_what_it_needs_is_refused_and_the_call_stays_open(
    factory: Factory, outcome: CallOutcome, field: str
) -> None:
    call = start_call(session=db.session, actor=factory.agent.actor, caller="0912345678")
    with pytest.raises(InvalidInput) as refused:
        end_call(session=db.session, actor=factory.agent.actor, call_id=call.id, outcome=outcome)
    assert list(refused.value.fields) == [field]
    db.session.expire_all()
    assert db.session.get(Call, call.id).outcome is None


def test_a_call_ends_once(factory: Factory) -> None:
    call = start_call(session=db.session, actor=factory.agent.actor, caller=None)
    end_call(session=db.session, actor=factory.agent.actor, call_id=call.id, outcome=CallOutcome.HUNG_UP)
    with pytest.raises(Conflict):
        end_call(session=db.session, actor=factory.agent.actor, call_id=call.id, outcome=CallOutcome.ABUSIVE)
    db.session.expire_all()
    assert db.session.get(Call, call.id).outcome is CallOutcome.HUNG_UP


def test_another_agents_call_cannot_be_ended_but_a_supervisor_may(factory: Factory) -> None:
    call = start_call(session=db.session, actor=factory.agent.actor, caller=None)
    with pytest.raises(NotFound):
        end_call(session=db.session, actor=factory.user("agent").actor, call_id=call.id, outcome=CallOutcome.HUNG_UP)
    db.session.expire_all()
    assert db.session.get(Call, call.id).outcome is None
    end_call(session=db.session, actor=factory.user("supervisor").actor, call_id=call.id, outcome=CallOutcome.HUNG_UP)
    assert db.session.get(Call, call.id).outcome is CallOutcome.HUNG_UP


def test_a_case_the_agent_may_not_see_or_that_does_not_exist_is_refused(factory: Factory) -> None:
    call = start_call(session=db.session, actor=factory.agent.actor, caller=None)
    with pytest.raises(NotFound):
        end_call(
            session=db.session,
            actor=factory.agent.actor,
            call_id=call.id,
            outcome=CallOutcome.PROGRESS_INQUIRY,
            case_no="1151130-9999",
        )
    db.session.expire_all()
    assert db.session.get(Call, call.id).outcome is None

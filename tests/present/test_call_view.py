"""A call about a case as each audience sees it: the caller in full for the centre, masked (or hidden, for an
anonymous reporter) for agencies and the mayor's office, numbers in free text masked too."""

from __future__ import annotations

import pytest

from app.calls.service import end_call, start_call
from app.db import db
from app.models import Call
from app.present.audience import View
from app.present.call import call_view
from app.vocabulary import CallOutcome, Channel
from tests.conftest import TZ
from tests.factories import Factory


def _call(factory: Factory, *, caller: str | None, anonymous: bool = False, note: str | None = None) -> Call:
    case = factory.case(reporter_phone="0912-345-678", anonymous=anonymous)
    agent = factory.agent.actor
    call = start_call(session=db.session, actor=agent, caller=caller, channel=Channel.PHONE)
    return end_call(
        session=db.session,
        actor=agent,
        call_id=call.id,
        outcome=CallOutcome.CASE_OPENED,
        case_no=case.case_no,
        note=note,
    )


def test_the_centre_sees_the_caller_in_full(factory: Factory) -> None:
    shown = call_view(_call(factory, caller="0912 345 678", note="請回電 0921-363-979"), View.STAFF, TZ)
    assert shown["caller_phone"] == "+886912345678"
    assert shown["note"] == "請回電 0921-363-979"
    assert shown["outcome"] == "case_opened" and shown["channel"] == "phone"
    assert shown["duration_seconds"] is not None and shown["duration_seconds"] >= 0
    assert shown["started_at"].endswith("+08:00")


def test_a_masked_view_sees_the_caller_masked_and_numbers_in_the_note_masked(factory: Factory) -> None:
    shown = call_view(_call(factory, caller="0912 345 678", note="請回電 0921-363-979"), View.AGENCY, TZ)
    assert shown["caller_phone"] == "0912***678"
    assert shown["note"] == "請回電 0921***979"


@pytest.mark.parametrize("view", [View.AGENCY])
def test_an_anonymous_reporters_call_hides_the_caller_from_a_masked_view(factory: Factory, view: View) -> None:
    call = _call(factory, caller="0912 345 678", anonymous=True)
    assert call_view(call, view, TZ)["caller_phone"] is None
    assert call_view(call, View.STAFF, TZ)["caller_phone"] == "+886912345678"


def test_a_withheld_number_is_shown_as_given_and_masked_when_it_looks_like_one(factory: Factory) -> None:
    call = _call(factory, caller="私人號碼")
    assert call_view(call, View.STAFF, TZ)["caller_phone"] is None
    assert call_view(call, View.STAFF, TZ)["caller_as_given"] == "私人號碼"

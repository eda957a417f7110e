"""A call and the lines beside it, as each audience sees them; a case number as it is read aloud."""

from __future__ import annotations

from app.calls.service import start_call
from app.db import db
from app.present.audience import View
from app.present.call import call_view, national_phone, spoken_case_no
from tests.conftest import TZ
from tests.factories import Factory


def test_a_case_number_is_grouped_as_it_is_read_aloud() -> None:
    assert spoken_case_no("1151130-0001") == "115 1130 0001"
    assert spoken_case_no("991231-0042") == "99 1231 0042"
    assert spoken_case_no("not-a-number") == "not-a-number"
    assert national_phone("+886912345678") == "0912 345 678" and national_phone(None) == ""


def test_the_callers_number_is_masked_for_a_masked_view_in_every_field(factory: Factory) -> None:
    call = start_call(session=db.session, actor=factory.agent.actor, caller="0912-345-678")
    assert call_view(call, View.STAFF, TZ)["caller_phone"] == "+886912345678"
    assert call_view(call, View.AGENCY, TZ)["caller_phone"] == "0912***678"
    odd = start_call(session=db.session, actor=factory.agent.actor, caller="回撥 0912-345-678 分機 12")
    assert "345" not in (call_view(odd, View.AGENCY, TZ)["caller_as_given"] or "")

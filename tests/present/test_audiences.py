"""Every audience through every shape: what a role sees of a case, its events and its deadlines.

The API, the socket pushes and the pages shape rows through app/present; these tests walk the
centre's roles, an agency and the mayor's office through each shape and read the JSON they get.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from app.access import Actor
from app.cases import actions, queries
from app.cases.deadlines import load_context, sla_status
from app.db import db, utcnow
from app.models import Case
from app.present.audience import View, view_of
from app.present.case import case_summary, case_view
from app.present.deadline import sla_view
from app.present.event import event_message, event_view
from app.present.notification import notification_view
from app.reference.names import ReferenceNames
from app.vocabulary import Role
from tests.conftest import TZ
from tests.factories import Factory

PHONE = "0912-345-678"
FULL_FORMS = ("+886912345678", "0912345678", "0912-345-678", "912345678", "345-678")
MASKED = "0912***678"
NOTE = "民眾請回電 +886 921 363 979，另留 0921-363-979"
NOTE_FULL_FORMS = ("+886 921 363 979", "0921-363-979", "921363979")


@dataclass(frozen=True)
class Seen:
    """Everything one actor is shown of one case, as the JSON it would receive."""

    case: dict[str, Any]
    summary: dict[str, Any]
    timeline: list[dict[str, Any]]
    pushed: list[dict[str, Any]]
    deadline: dict[str, Any] | None

    def text(self) -> str:
        return json.dumps([self.case, self.summary, self.timeline, self.pushed, self.deadline], ensure_ascii=False)


def _seen(actor: Actor, case: Case, now: datetime | None = None) -> Seen:
    session = db.session
    view = view_of(actor)
    events = list(queries.case_events(session=session, actor=Actor(None, "centre", Role.ADMIN), case_no=case.case_no))
    hidden = queries.hidden_case_references(session=session, actor=actor, events=events)
    names = ReferenceNames.load(session)
    status = sla_status(session, case, load_context(session), now or utcnow())
    return Seen(
        case=case_view(case, actor, TZ),
        summary=case_summary(case, view, names, TZ),
        timeline=[event_view(event, case.case_no, view, TZ, hidden) for event in events],
        pushed=[event_message(event, case, view, names, TZ, hidden=hidden) for event in events],
        deadline=sla_view(status, TZ),
    )


@pytest.fixture
def audiences(factory: Factory) -> dict[str, Actor]:
    return {
        "agent": factory.agent.actor,
        "supervisor": factory.user("supervisor").actor,
        "admin": factory.user("admin").actor,
        "agency": factory.user("agency", agency="PWD-MAINT").actor,
        "mayor_office": factory.user("mayor_office").actor,
    }


STAFF = ("agent", "supervisor", "admin")
MASKED_AUDIENCES = ("agency", "mayor_office")


def _case_with_a_note(factory: Factory, **overrides: Any) -> Case:
    case = factory.case(reporter_name="林小姐", reporter_phone=PHONE, **overrides)
    return actions.add_note(
        session=db.session, actor=factory.agent.actor, case_no=case.case_no, version=case.version, text=NOTE
    )


def test_each_role_has_one_view(audiences: dict[str, Actor]) -> None:
    assert {name: view_of(actor) for name, actor in audiences.items()} == {
        "agent": View.STAFF,
        "supervisor": View.STAFF,
        "admin": View.STAFF,
        "agency": View.AGENCY,
        "mayor_office": View.AGENCY,
    }


@pytest.mark.parametrize("name", STAFF)
def test_the_centre_sees_the_reporter_and_the_note_in_full(
    factory: Factory, audiences: dict[str, Actor], name: str
) -> None:
    case = _case_with_a_note(factory)
    seen = _seen(audiences[name], case)
    assert seen.case["reporter_phone"] == seen.summary["reporter_phone"] == "+886912345678"
    assert seen.case["reporter_name"] == "林小姐"
    notes = [entry["payload"]["text"] for entry in seen.timeline + seen.pushed if entry["payload"].get("text")]
    assert notes == [NOTE, NOTE]


@pytest.mark.parametrize("name", MASKED_AUDIENCES)
def test_a_masked_audience_never_reads_a_full_number_in_any_shape(
    factory: Factory, audiences: dict[str, Actor], name: str
) -> None:
    case = _case_with_a_note(factory, description=f"路樹倒塌，民眾電話 {PHONE}")
    now = utcnow()  # one moment for both views: the time left is then the same
    seen = _seen(audiences[name], case, now)
    everything = seen.text()
    for form in FULL_FORMS + NOTE_FULL_FORMS:
        assert form not in everything, f"{name} reads {form}"
    assert seen.case["reporter_phone"] == seen.summary["reporter_phone"] == MASKED
    assert seen.case["description"] == seen.summary["description"] == f"路樹倒塌，民眾電話 {MASKED}"
    # The note keeps its words; only the numbers in it are masked, the same in the API and the push.
    notes = [entry["payload"]["text"] for entry in seen.timeline + seen.pushed if entry["payload"].get("text")]
    assert notes == ["民眾請回電 0921***979，另留 0921***979"] * 2
    assert seen.deadline is not None and seen.deadline == _seen(audiences["agent"], case, now).deadline


@pytest.mark.parametrize("name", MASKED_AUDIENCES)
def test_an_anonymous_reporter_is_hidden_from_a_masked_audience(
    factory: Factory, audiences: dict[str, Actor], name: str
) -> None:
    case = factory.case(reporter_phone=PHONE, anonymous=True)
    seen = _seen(audiences[name], case)
    assert (seen.case["reporter_name"], seen.case["reporter_phone"]) == (None, None)
    assert (seen.summary["reporter_name"], seen.summary["reporter_phone"]) == (None, None)
    assert MASKED not in seen.text()
    staff = _seen(audiences["supervisor"], case)
    assert (staff.case["reporter_phone"], staff.summary["reporter_phone"]) == ("+886912345678", "+886912345678")


def test_an_agency_never_learns_another_agencys_case_number(factory: Factory, audiences: dict[str, Actor]) -> None:
    ours = factory.case()  # a fallen tree in Fongshan: the public works maintenance office
    theirs = factory.case(category_code="traffic_signal", district_code="fongshan", address="鳳山區中山路1號")
    assert theirs.agency_id != ours.agency_id
    actions.merge_case(
        session=db.session,
        actor=audiences["agent"],
        case_no=ours.case_no,
        version=ours.version,
        into_case_no=theirs.case_no,
    )
    agency = _seen(audiences["agency"], ours)
    assert theirs.case_no not in agency.text()
    merged = [entry for entry in agency.timeline + agency.pushed if "into" in entry["payload"]]
    assert [entry["payload"]["into"] for entry in merged] == [None, None]
    staff = _seen(audiences["agent"], ours)
    assert [entry["payload"]["into"] for entry in staff.timeline if "into" in entry["payload"]] == [theirs.case_no]


def test_the_api_timeline_masks_numbers_typed_into_a_note(factory: Factory) -> None:
    """End to end: an agency reading the events endpoint gets the note's words with its number masked."""
    responder = factory.user("agency", agency="PWD-MAINT")
    case = _case_with_a_note(factory)
    body = responder.get(f"/cases/{case.case_no}/events").get_json()
    assert [entry["payload"]["text"] for entry in body if entry["event_type"] == "note_added"] == [
        "民眾請回電 0921***979，另留 0921***979"
    ]
    staff_body = factory.agent.get(f"/cases/{case.case_no}/events").get_json()
    assert [entry["payload"]["text"] for entry in staff_body if entry["event_type"] == "note_added"] == [NOTE]


@pytest.mark.parametrize("name", (*STAFF, *MASKED_AUDIENCES))
def test_notifications_show_their_state_and_mask_the_reporters_number(
    factory: Factory, audiences: dict[str, Actor], name: str
) -> None:
    """The citizen's receipt SMS goes to the reporter: a masked audience sees whom only as 0912***678."""
    case = factory.case(reporter_phone=PHONE, wants_sms_reply=True)
    rows = queries.case_notifications(session=db.session, actor=audiences["admin"], case_no=case.case_no)
    shown = [notification_view(row, view_of(audiences[name]), TZ) for row in rows]
    receipts = [entry for entry in shown if entry["kind"] == "citizen_receipt"]
    assert [entry["status"] for entry in receipts] == ["pending"]
    assert [entry["kind"] for entry in shown if entry["kind"] == "dispatch_sms"]  # the duty phones' SMS too
    if name in STAFF:
        assert receipts[0]["recipient"] == "+886912345678"
    else:
        assert receipts[0]["recipient"] == MASKED
        for form in FULL_FORMS:
            assert form not in json.dumps(shown, ensure_ascii=False)


def test_the_api_lists_a_cases_notifications_to_its_own_agency_only(factory: Factory) -> None:
    case = factory.case(reporter_phone=PHONE, wants_sms_reply=True)
    own = factory.user("agency", agency="PWD-MAINT").get(f"/cases/{case.case_no}/notifications")
    assert own.status_code == 200
    assert "citizen_receipt" in [entry["kind"] for entry in own.get_json()]
    assert "+886912345678" not in own.get_data(as_text=True)
    other = factory.user("agency", agency="TRB").get(f"/cases/{case.case_no}/notifications")
    assert other.status_code == 404
    staff = factory.agent.get(f"/cases/{case.case_no}/notifications").get_json()
    assert [entry["recipient"] for entry in staff if entry["kind"] == "citizen_receipt"] == ["+886912345678"]

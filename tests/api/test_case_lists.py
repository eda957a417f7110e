"""Lists of cases and one case, read in one query and written without marshmallow: the same JSON as before."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import Flask, g, jsonify
from sqlalchemy import select

from app.api.cases import _view
from app.api.schemas import CaseSchema, EventSchema
from app.cases.queries import hidden_case_references
from app.cases.sweep import sweep
from app.db import db, utcnow
from app.models import Case, CaseEvent
from app.present.audience import view_of
from app.present.event import event_view
from tests.factories import ApiUser, Factory


def _as_the_schema_shows_it(app: Flask, user: ApiUser, case_no: str) -> dict[str, Any]:
    """The case as the API showed it before lists were built from rows: ORM object, SLA status, CaseSchema."""
    with app.test_request_context():
        g.actor = user.actor
        case = db.session.scalar(select(Case).where(Case.case_no == case_no))
        assert case is not None
        shown: dict[str, Any] = json.loads(jsonify(CaseSchema().dump(_view(case))).get_data())
    db.session.rollback()
    return shown


def _without_time_left(shown: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    """The case without its time left (which moves between two readings), and that time left."""
    sla = shown.get("sla")
    if sla is None:
        return shown, None
    return {**shown, "sla": {**sla, "time_left_seconds": None}}, sla["time_left_seconds"]


def _assert_same(listed: dict[str, Any], expected: dict[str, Any]) -> None:
    listed_rest, listed_left = _without_time_left(listed)
    expected_rest, expected_left = _without_time_left(expected)
    assert listed_rest == expected_rest
    assert (listed_left is None) == (expected_left is None)
    if listed_left is not None and expected_left is not None:
        assert abs(listed_left - expected_left) <= 2


def _varied_cases(factory: Factory) -> list[str]:
    """Cases in the shapes a list meets: routed with a phone, anonymous, waiting, merged, closed, unrouted."""
    agent = factory.agent
    with_phone = factory.api_case(
        reporter_phone="0912-345-678", reporter_name="王小明", latitude=22.6, longitude=120.3,
        description="路樹倒塌，請回電 0912345678",
    )  # fmt: skip
    anonymous = factory.api_case(reporter_phone="07-7351234", anonymous=True)
    responder = factory.named_user("pwd", "agency", agency="PWD-MAINT")
    waiting = factory.api_case(category="noise", district="fongshan", description="噪音")
    waiting_agency = factory.user("agency", agency=waiting["agency"])
    acked = waiting_agency.act(waiting["case_no"], "acknowledge", waiting["version"]).get_json()
    waited = waiting_agency.act(waiting["case_no"], "wait", acked["version"], reason="請民眾補充照片")
    assert waited.status_code == 200, waited.get_json()
    into = factory.api_case(reporter_phone="0922-111-333")
    merged = factory.api_case(reporter_phone="0933-444-555")
    assert agent.act(merged["case_no"], "merge", merged["version"], into=into["case_no"]).status_code == 200
    # Merged into another agency's case: a responder of the merged case's agency must not learn its number.
    elsewhere = factory.api_case(category="road_flooding", description="地下道積水")
    hidden_parent = factory.api_case(reporter_phone="0955-666-777")
    assert (
        agent.act(hidden_parent["case_no"], "merge", hidden_parent["version"], into=elsewhere["case_no"]).status_code
        == 200
    )
    reported = responder.act(with_phone["case_no"], "acknowledge", with_phone["version"]).get_json()
    assert (
        responder.act(
            with_phone["case_no"], "report", reported["version"], text="已處理，電話 0912-345-678"
        ).status_code
        == 200
    )
    answered = factory.api_case(category="general_inquiry", district=None, answer="已說明", description="問")
    return [c["case_no"] for c in (with_phone, anonymous, waiting, into, merged, elsewhere, hidden_parent, answered)]


def test_the_list_and_the_case_show_what_the_case_schema_showed(app: Flask, factory: Factory) -> None:
    numbers = _varied_cases(factory)
    viewers = [
        factory.agent,
        factory.user("supervisor"),
        factory.user("mayor_office"),
        factory.named_user("pwd", "agency", agency="PWD-MAINT"),
    ]
    for viewer in viewers:
        listed = viewer.get("/cases?limit=100").get_json()["items"]
        assert listed, viewer.actor.role
        for item in listed:
            expected = _as_the_schema_shows_it(app, viewer, item["case_no"])
            _assert_same(item, expected)
            _assert_same(viewer.get(f"/cases/{item['case_no']}").get_json(), expected)
        assert {item["case_no"] for item in listed} <= set(numbers)
        assert any(item["sla"] and item["sla"]["paused_since"] for item in listed) or viewer.actor.is_agency


def test_an_intakes_answer_is_what_the_case_schema_showed(app: Flask, factory: Factory) -> None:
    """The 201 body is built from the values in hand, not re-read: the same JSON as the schema gave of the row."""
    created = [
        factory.api_case(reporter_phone="0912-345-678", reporter_name="王小明", latitude=22.6, longitude=120.3),
        factory.api_case(reporter_phone="07-7351234", anonymous=True, wants_sms_reply=False),
        factory.api_case(category="general_inquiry", district=None, answer="已說明", description="問"),
        factory.api_case(category="noise", district="fongshan", description="噪音", address=None),
        factory.api_case(category="general_inquiry", district=None, description="想問補助"),  # nobody's yet
        # Received in another offset, to the microsecond: shown in the city's time as the stored row is.
        factory.api_case(received_at=(utcnow() - timedelta(minutes=90, microseconds=123)).isoformat()),
    ]
    for body in created:
        _assert_same(body, _as_the_schema_shows_it(app, factory.agent, body["case_no"]))
    assert {body["status"] for body in created} == {"assigned", "closed", "new"}


def test_an_agency_list_is_its_own_cases_masked_and_hides_another_agencys_parent(factory: Factory) -> None:
    _varied_cases(factory)
    responder = factory.named_user("pwd", "agency", agency="PWD-MAINT")
    listed = responder.get("/cases?limit=100").get_json()["items"]
    assert listed and {item["agency"] for item in listed} == {"PWD-MAINT"}
    text = json.dumps(listed, ensure_ascii=False)
    for digits in ("912345678", "7351234", "922111333", "933444555", "955666777"):
        assert digits not in text
    by_phone = {item["reporter_phone"] for item in listed}
    assert "0912***678" in by_phone and None in by_phone  # masked, and the anonymous reporter hidden
    merged_elsewhere = [item for item in listed if item["status"] == "merged"]
    assert merged_elsewhere and all(
        item["parent_case_no"] is None or item["parent_case_no"].startswith(tuple("0123456789"))
        for item in merged_elsewhere
    )
    assert {item["parent_case_no"] is None for item in merged_elsewhere} == {True, False}
    staff = {item["case_no"]: item for item in factory.agent.get("/cases?limit=100").get_json()["items"]}
    for item in merged_elsewhere:
        parent = staff[item["case_no"]]["parent_case_no"]
        assert parent is not None
        shown_to_staff = staff[parent]
        assert item["parent_case_no"] == (parent if shown_to_staff["agency"] == "PWD-MAINT" else None)


def _all_pages(user: ApiUser, query: str, limit: int) -> list[str]:
    numbers: list[str] = []
    cursor = None
    for _ in range(50):
        page = user.get(f"/cases?{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")).get_json()
        numbers += [item["case_no"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return numbers
    raise AssertionError("the pages never ended")


def test_pages_of_the_breached_list_walk_ties_once_each(factory: Factory) -> None:
    now = utcnow()
    # Four cases received at the same moment share their deadlines: the cursor must still pass each once.
    tied = [factory.case(now=now - timedelta(minutes=40), description=f"倒樹 {n}").case_no for n in range(4)]
    earlier = factory.case(now=now - timedelta(minutes=60), description="倒樹 早").case_no
    later = factory.case(now=now - timedelta(minutes=20), description="倒樹 晚").case_no
    sweep(db.session, now=now)
    supervisor = factory.user("supervisor")
    expected = [earlier, *tied, later]  # nearest (longest past) deadline first, ties by id
    for limit in (1, 2, 3, 100):
        assert _all_pages(supervisor, "sla=breached", limit) == expected


def test_pages_of_the_newest_first_list_are_exact_for_staff_and_agency(factory: Factory) -> None:
    mine = [factory.api_case(description=f"倒樹 {n}")["case_no"] for n in range(5)]
    theirs = [factory.api_case(category="road_flooding", description=f"積水 {n}")["case_no"] for n in range(3)]
    responder = factory.user("agency", agency="PWD-MAINT")
    for limit in (1, 2, 5, 100):
        assert _all_pages(responder, "type=dispatch", limit) == list(reversed(mine))
        assert _all_pages(factory.agent, "type=dispatch", limit) == [
            number for number in reversed(sorted(mine + theirs, key=_case_id))
        ]


def _case_id(case_no: str) -> int:
    case_id = db.session.scalar(select(Case.id).where(Case.case_no == case_no))
    assert case_id is not None
    return case_id


def test_a_cases_events_are_what_the_event_schema_showed(app: Flask, factory: Factory) -> None:
    numbers = _varied_cases(factory)
    for viewer in (factory.agent, factory.named_user("pwd", "agency", agency="PWD-MAINT")):
        for case_no in numbers:
            response = viewer.get(f"/cases/{case_no}/events")
            if response.status_code == 404:
                assert viewer.actor.is_agency
                continue
            with app.test_request_context():
                case = db.session.scalar(select(Case).where(Case.case_no == case_no))
                assert case is not None
                events = db.session.scalars(
                    select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
                )
                trail = list(events)
                hidden = hidden_case_references(session=db.session, actor=viewer.actor, events=trail)
                view = view_of(viewer.actor)
                shown = [event_view(event, case_no, view, factory.tz, hidden) for event in trail]
                expected = json.loads(jsonify(EventSchema(many=True).dump(shown)).get_data())
            db.session.rollback()
            assert response.get_json() == expected and expected

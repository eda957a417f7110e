"""The JSON API as a console or integration uses it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from app.db import utcnow
from tests.factories import DISPATCH, Factory, case_state


def _count_cases(factory: Factory) -> int:
    supervisor = factory.user("supervisor")
    return len(supervisor.get("/cases?limit=100").get_json()["items"])


def test_create_returns_201_with_a_case_number(factory: Factory) -> None:
    body = factory.api_case(reporter_phone="+886 912 345 678", wants_sms_reply=True)
    assert body["case_no"] and body["status"] == "assigned" and body["agency"] == "PWD-MAINT"
    assert body["reporter_phone"] == "+886912345678"
    assert body["received_at"].endswith("+08:00")
    fetched = factory.agent.get(f"/cases/{body['case_no']}").get_json()
    assert fetched == body


def test_requests_without_a_valid_token_get_401(client: FlaskClient) -> None:
    assert client.get("/api/v1/cases").status_code == 401
    response = client.get("/api/v1/cases", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "auth.invalid"


def test_errors_speak_the_callers_language(factory: Factory) -> None:
    zh = factory.agent.get("/cases/1150101-9999").get_json()["error"]["message"]
    en = factory.agent.get("/cases/1150101-9999", language="en").get_json()["error"]["message"]
    assert zh == "找不到案件 1150101-9999。"
    assert en == "Case 1150101-9999 was not found."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in DISPATCH.items() if k != "description"}, "description"),
        ({**DISPATCH, "colour": "red"}, "colour"),
        ({**DISPATCH, "category": 5}, "category"),
        ({**DISPATCH, "category": "unicorns"}, "category"),
        ({**DISPATCH, "district": "atlantis"}, "district"),
        ({**DISPATCH, "channel": "pigeon"}, "channel"),
        ({**DISPATCH, "description": "樹" * 4001}, "description"),
        ({**DISPATCH, "description": "   "}, "description"),
        ({**DISPATCH, "latitude": 123}, "latitude"),
        ({**DISPATCH, "anonymous": "maybe"}, "anonymous"),
        ({**DISPATCH, "reporter_phone": "119"}, "reporter_phone"),
        ({**DISPATCH, "received_at": (utcnow() + timedelta(days=1)).isoformat()}, "received_at"),
        ({**DISPATCH, "received_at": "yesterday"}, "received_at"),
    ],
)
def test_bad_bodies_get_422_naming_the_field_and_write_nothing(factory: Factory, body: dict, field: str) -> None:
    response = factory.agent.post("/cases", json=body)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation.failed"
    assert field in error["fields"] and all(error["fields"][field])
    assert _count_cases(factory) == 0


def test_field_messages_are_translated(factory: Factory) -> None:
    body = {k: v for k, v in DISPATCH.items() if k != "description"}
    zh = factory.agent.post("/cases", json=body).get_json()["error"]["fields"]["description"]
    en = factory.agent.post("/cases", json=body, language="en").get_json()["error"]["fields"]["description"]
    assert zh == ["此欄位必填。"] and en == ["Missing data for required field."]


def test_a_body_over_one_mebibyte_gets_413(factory: Factory) -> None:
    response = factory.agent.post("/cases", json={**DISPATCH, "description": "x" * (1024 * 1024)})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "http.too_large"
    assert _count_cases(factory) == 0


def test_invalid_utf8_and_broken_json_get_400(factory: Factory) -> None:
    for raw in (b'{"description": "\xff\xfe"}', b'{"channel": '):
        response = factory.agent.client.post(
            "/api/v1/cases", data=raw, headers={**factory.agent.headers(), "Content-Type": "application/json"}
        )
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "body.invalid_json"


def test_a_form_body_gets_415(factory: Factory) -> None:
    response = factory.agent.client.post("/api/v1/cases", data={"a": "b"}, headers=factory.agent.headers())
    assert response.status_code == 415
    assert _count_cases(factory) == 0


def test_agency_sees_only_its_cases_with_the_phone_masked(factory: Factory) -> None:
    mine = factory.api_case(reporter_phone="0912-345-678", reporter_name="王小明")
    theirs = factory.api_case(category="road_flooding", description="地下道積水")
    responder = factory.user("agency", agency="PWD-MAINT")
    listed = responder.get("/cases").get_json()["items"]
    assert [case["case_no"] for case in listed] == [mine["case_no"]]
    assert listed[0]["reporter_phone"] == "0912***678"
    assert responder.get(f"/cases/{mine['case_no']}").get_json()["reporter_phone"] == "0912***678"
    assert responder.get(f"/cases/{theirs['case_no']}").status_code == 404
    assert responder.get(f"/cases/{theirs['case_no']}/events").status_code == 404
    before = case_state(theirs["case_no"])
    assert responder.act(theirs["case_no"], "acknowledge", theirs["version"]).status_code == 404
    assert case_state(theirs["case_no"]) == before
    # The full number never appears anywhere in what the agency receives.
    events = responder.get(f"/cases/{mine['case_no']}/events").get_data(as_text=True)
    assert "912345678" not in events


def test_anonymous_reporter_is_hidden_from_agencies(factory: Factory) -> None:
    case = factory.api_case(reporter_phone="0912-345-678", anonymous=True)
    responder = factory.user("agency", agency="PWD-MAINT")
    seen = responder.get(f"/cases/{case['case_no']}").get_json()
    assert seen["reporter_phone"] is None and seen["reporter_name"] is None
    assert factory.agent.get(f"/cases/{case['case_no']}").get_json()["reporter_phone"] == "+886912345678"


def test_actions_over_http_with_optimistic_locking(factory: Factory) -> None:
    case = factory.api_case()
    responder = factory.user("agency", agency="PWD-MAINT")
    acked = responder.act(case["case_no"], "acknowledge", case["version"])
    assert acked.status_code == 200 and acked.get_json()["status"] == "acknowledged"
    before = case_state(case["case_no"])
    stale = responder.act(case["case_no"], "report", case["version"], text="已處理")
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "case.stale_version"
    assert case_state(case["case_no"]) == before
    reported = responder.act(case["case_no"], "report", acked.get_json()["version"], text="已處理")
    assert reported.get_json()["status"] == "reported"
    before = case_state(case["case_no"])
    illegal = responder.act(case["case_no"], "acknowledge", reported.get_json()["version"])
    assert illegal.status_code == 409 and "已回報" in illegal.get_json()["error"]["message"]
    assert case_state(case["case_no"]) == before


def test_action_bodies_are_validated(factory: Factory) -> None:
    case = factory.api_case()
    before = case_state(case["case_no"])
    missing_version = factory.agent.post(f"/cases/{case['case_no']}/note", json={"text": "x"})
    assert missing_version.status_code == 422 and "version" in missing_version.get_json()["error"]["fields"]
    no_text = factory.agent.act(case["case_no"], "note", case["version"])
    assert no_text.status_code == 422 and "text" in no_text.get_json()["error"]["fields"]
    assert case_state(case["case_no"]) == before
    forbidden = factory.user("mayor_office").act(case["case_no"], "note", case["version"], text="x")
    assert forbidden.status_code == 403


def test_events_list_the_trail_in_order(factory: Factory) -> None:
    case = factory.api_case()
    factory.agent.act(case["case_no"], "note", case["version"], text="陳情人補充：樹幹很粗")
    events = factory.agent.get(f"/cases/{case['case_no']}/events").get_json()
    assert [event["event_type"] for event in events] == ["case_created", "case_assigned", "note_added"]
    assert events[0]["id"] < events[1]["id"] < events[2]["id"]
    assert events[2]["payload"]["text"] == "陳情人補充：樹幹很粗"
    assert events[2]["actor"] == factory.agent.actor.username


def test_list_filters_and_cursor_pagination(factory: Factory) -> None:
    numbers = [factory.api_case()["case_no"] for _ in range(5)]
    factory.api_case(category="road_flooding", district="sanmin", description="積水")
    agent = factory.agent
    first = agent.get("/cases?category=fallen_tree&limit=2").get_json()
    second = agent.get(f"/cases?category=fallen_tree&limit=2&cursor={first['next_cursor']}").get_json()
    third = agent.get(f"/cases?category=fallen_tree&limit=2&cursor={second['next_cursor']}").get_json()
    pages = [c["case_no"] for page in (first, second, third) for c in page["items"]]
    assert pages == list(reversed(numbers)) and third["next_cursor"] is None
    assert [c["district"] for c in agent.get("/cases?district=sanmin").get_json()["items"]] == ["sanmin"]
    assert len(agent.get("/cases?agency=WRB").get_json()["items"]) == 1
    assert len(agent.get("/cases?status=assigned&type=dispatch").get_json()["items"]) == 6
    assert agent.get("/cases?cursor=garbage").status_code == 422
    assert agent.get("/cases?status=sleeping").status_code == 422


def test_reference_lists(factory: Factory) -> None:
    districts = factory.agent.get("/districts").get_json()
    assert len(districts) == 38
    assert {"code": "fongshan", "name_zh": "鳳山區", "name_en": "Fongshan District"} in districts
    categories = {c["code"]: c for c in factory.agent.get("/categories").get_json()}
    assert categories["fallen_tree"]["case_type"] == "dispatch" and categories["fallen_tree"]["urgent"] is True
    agencies = {a["code"] for a in factory.agent.get("/agencies").get_json()}
    assert {"PWD-MAINT", "WRB", "DO-FONGSHAN"} <= agencies


def test_openapi_document_and_browsable_page(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/cases/{case_no}/merge" in document["paths"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and b"swagger-ui" in page.data
    asset = client.get("/api/v1/swagger-ui/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000


def test_merges_do_not_reveal_another_agencys_case_numbers(factory: Factory) -> None:
    district_road = factory.api_case(category="pothole", district="fongshan", description="坑洞")  # DO-FONGSHAN
    city_road = factory.api_case(category="pothole", district="sanmin", description="坑洞")  # PWD-MAINT
    merged = factory.agent.act(district_road["case_no"], "merge", district_road["version"], into=city_road["case_no"])
    assert merged.status_code == 200 and merged.get_json()["parent_case_no"] == city_road["case_no"]
    office = factory.user("agency", agency="DO-FONGSHAN")
    assert office.get(f"/cases/{district_road['case_no']}").get_json()["parent_case_no"] is None
    events = office.get(f"/cases/{district_road['case_no']}/events").get_data(as_text=True)
    assert city_road["case_no"] not in events


def test_tokens_are_stored_only_as_hashes(factory: Factory) -> None:
    from sqlalchemy import select

    from app.db import db
    from app.models import ApiToken

    user = factory.user("agent")
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert user.token not in stored and all(len(value) == 64 for value in stored)

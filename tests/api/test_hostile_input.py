"""Input meant to break things gets a 4xx that says what is wrong, never a 500, and writes nothing."""

from __future__ import annotations

import pytest

from tests.factories import DISPATCH, Factory, case_state


def _raw_post(factory: Factory, raw: bytes):  # type: ignore[no-untyped-def]
    headers = {**factory.agent.headers(), "Content-Type": "application/json"}
    return factory.agent.client.post("/api/v1/cases", data=raw, headers=headers)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"channel": "phone", "category": "fallen_tree", "district": "fongshan", "description": "a\\u0000b"}',
        b'{"channel": "phone", "category": "fallen_tree", "district": "fongshan", "description": "\\ud800"}',
        b'{"channel": "phone", "category": "fallen_tree", "district": "fongshan", "description": "x",'
        b' "reporter_phone": "0912\\ud800"}',
        b'{"channel": "phone", "category": "fall\\u0000en_tree", "district": "fongshan", "description": "x"}',
    ],
)
def test_unstorable_text_is_refused_field_by_field(factory: Factory, raw: bytes) -> None:
    response = _raw_post(factory, raw)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["fields"]
    assert factory.agent.get("/cases").get_json()["items"] == []


@pytest.mark.parametrize(
    "raw", [b'{"latitude": ' + b"[" * 5000 + b"]" * 5000 + b"}", b'{"latitude": ' + b"9" * 5000 + b"}"]
)
def test_absurd_json_is_bad_json(factory: Factory, raw: bytes) -> None:
    response = _raw_post(factory, raw)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "body.invalid_json"


@pytest.mark.parametrize(
    "query",
    ["q=a%00b", "district=x%00", "created_from=0001-01-01T00:00:00%2B14:00", "received_to=9999-12-31T23:59:59-12:00"],
)
def test_hostile_list_filters_get_422(factory: Factory, query: str) -> None:
    assert factory.agent.get(f"/cases?{query}").status_code == 422


def test_a_nul_in_the_path_is_simply_not_found(factory: Factory) -> None:
    case = factory.api_case()
    before = case_state(case["case_no"])
    assert factory.agent.get("/cases/1150101%000001").status_code == 404
    assert factory.agent.post("/cases/1150101%000001/note", json={"version": 1, "text": "x"}).status_code == 404
    hostile = case["case_no"] + "%00"
    assert (
        factory.agent.post(f"/cases/{hostile}/note", json={"version": case["version"], "text": "x"}).status_code == 404
    )
    assert case_state(case["case_no"]) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("anonymous", "yes"), ("anonymous", 1), ("latitude", "22.6"), ("wants_sms_reply", "true"), ("longitude", True)],
)
def test_wrong_types_are_refused_not_guessed(factory: Factory, field: str, value: object) -> None:
    response = factory.agent.post("/cases", json={**DISPATCH, field: value})
    assert response.status_code == 422 and field in response.get_json()["error"]["fields"]
    assert factory.agent.get("/cases").get_json()["items"] == []


def test_a_mistyped_phone_filter_is_refused_rather_than_answered_with_nothing(factory: Factory) -> None:
    response = factory.agent.get("/cases?phone=12345")
    assert response.status_code == 422 and "phone" in response.get_json()["error"]["fields"]
    assert factory.agent.get("/cases?phone=1999").status_code == 422


def test_what_a_user_typed_is_echoed_untranslated(factory: Factory) -> None:
    message = factory.agent.get("/cases/close").get_json()["error"]["message"]
    assert message == "找不到案件 close。"


@pytest.mark.parametrize(
    ("header", "english"), [("en-GB,zh;q=0.1", True), ("zh-TW,en;q=0.5", False), ("fr-FR", False), ("en", True)]
)
def test_language_follows_the_callers_preference(factory: Factory, header: str, english: bool) -> None:
    response = factory.agent.client.get(
        "/api/v1/cases/1150101-9999", headers={**factory.agent.headers(), "Accept-Language": header}
    )
    assert response.get_json()["error"]["message"].startswith("Case") is english

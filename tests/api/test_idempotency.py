"""Issue 11: an Idempotency-Key on any POST of the API; a retry creates nothing twice."""

from __future__ import annotations

from sqlalchemy import func, select

from app.db import db
from app.models import Case, CaseEvent
from tests.factories import DISPATCH, Factory


def _counts() -> tuple[int, int]:
    db.session.expire_all()
    cases = db.session.scalar(select(func.count()).select_from(Case)) or 0
    return cases, db.session.scalar(select(func.count()).select_from(CaseEvent)) or 0


def test_a_retried_intake_returns_the_first_answer_and_creates_no_second_case(factory: Factory) -> None:
    agent = factory.agent
    headers = {**agent.headers(), "Idempotency-Key": "intake-7f3a"}
    first = agent.client.post("/api/v1/cases", json=DISPATCH, headers=headers)
    assert first.status_code == 201
    counts = _counts()
    # The same body with its keys in another order is the same request.
    retry = agent.client.post("/api/v1/cases", json=dict(reversed(DISPATCH.items())), headers=headers)
    assert retry.status_code == 201 and retry.get_json() == first.get_json()
    assert retry.headers["Idempotent-Replayed"] == "true" and _counts() == counts
    other = agent.client.post("/api/v1/cases", json={**DISPATCH, "description": "另一件"}, headers=headers)
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency.key_reused"
    assert _counts() == counts
    # Without a key, or with a new one, a POST is a new request.
    assert agent.client.post("/api/v1/cases", json=DISPATCH, headers=agent.headers()).status_code == 201
    assert _counts()[0] == counts[0] + 1


def test_keys_are_per_user_and_cover_lifecycle_actions_and_refusals(factory: Factory) -> None:
    case = factory.api_case()
    supervisor = factory.user("supervisor")
    path = f"/api/v1/cases/{case['case_no']}/note"
    body = {"version": case["version"], "text": "已聯絡養工處"}
    headers = {**supervisor.headers(), "Idempotency-Key": "note-1"}
    noted = supervisor.client.post(path, json=body, headers=headers)
    assert noted.status_code == 200
    counts = _counts()
    again = supervisor.client.post(path, json=body, headers=headers)
    assert again.get_json() == noted.get_json() and _counts() == counts  # not a 409 stale version
    # Another user's same key is theirs: here a stale version, answered and stored as such.
    agent_headers = {**factory.agent.headers(), "Idempotency-Key": "note-1"}
    stale = factory.agent.client.post(path, json=body, headers=agent_headers)
    assert stale.status_code == 409 and _counts() == counts
    assert factory.agent.client.post(path, json=body, headers=agent_headers).get_json() == stale.get_json()


def test_a_malformed_key_is_refused_and_changes_nothing(factory: Factory) -> None:
    agent = factory.agent
    counts = _counts()
    for key in ("", "x" * 256, "有中文"):
        response = agent.client.post(
            "/api/v1/cases", json=DISPATCH, headers={**agent.headers(), "Idempotency-Key": key}
        )
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "idempotency.invalid_key"
    assert _counts() == counts


def test_the_openapi_document_declares_the_header_on_every_post(client) -> None:  # type: ignore[no-untyped-def]
    document = client.get("/api/v1/openapi.json").get_json()
    posts = [operation for item in document["paths"].values() for method, operation in item.items() if method == "post"]
    assert len(posts) > 5
    for operation in posts:
        assert "Idempotency-Key" in [parameter["name"] for parameter in operation.get("parameters", [])]

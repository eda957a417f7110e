"""Issue 11: the OpenAPI document states the formats the server enforces, so a request valid by it is not refused."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from app.api.schemas import reference_codes
from tests.factories import DISPATCH, Factory


def _document(client: FlaskClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/api/v1/openapi.json").get_json()
    return document


def test_the_override_day_is_a_date_in_the_document(client: FlaskClient) -> None:
    operations = _document(client)["paths"]["/api/v1/calendar/overrides/{day}"]
    for method in ("put", "delete"):
        day = next(p for p in operations[method]["parameters"] if p["name"] == "day" and p["in"] == "path")
        assert day["schema"]["format"] == "date"


def test_non_blank_texts_and_category_codes_are_stated(client: FlaskClient) -> None:
    schemas = _document(client)["components"]["schemas"]
    create = schemas["CaseCreate"]["properties"]
    assert create["description"]["minLength"] == 1 and create["description"]["pattern"] == r"\S"
    assert create["category"]["enum"] == reference_codes("categories")


def test_every_category_the_document_offers_is_accepted(factory: Factory) -> None:
    refused = []
    for code in reference_codes("categories"):
        response = factory.agent.post("/cases", json={**DISPATCH, "category": code})
        if response.status_code != 201:
            refused.append((code, response.get_json()["error"]))
    assert refused == []

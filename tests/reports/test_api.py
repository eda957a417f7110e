"""GET /api/v1/reports/monthly/{yyyy-mm} and its freeze: who may, and the refusals in words."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.factories import Factory
from tests.reports.scenario import build_july


@pytest.fixture
def july(app: Flask, factory: Factory) -> None:
    build_july(factory)


@pytest.mark.parametrize("role", ["mayor_office", "supervisor", "admin"])
def test_the_report_as_json_for_the_roles_that_read_it(factory: Factory, july: None, role: str) -> None:
    response = factory.user(role).get("/reports/monthly/2023-07")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["roc_month"], body["cases"]["total"], body["frozen"], body["differences"]) == (
        "112年7月",
        35,
        None,
        [],
    )
    pwd = next(row for row in body["agencies"] if row["key"] == "PWD-MAINT")
    assert (pwd["received"], pwd["report_on_time_pct"], pwd["rank"]) == (30, 96.7, 1)


@pytest.mark.parametrize("role", ["agent", "agency"])
def test_other_roles_get_403(factory: Factory, july: None, role: str) -> None:
    user = factory.user(role, "PWD-MAINT" if role == "agency" else None)
    response = user.get("/reports/monthly/2023-07")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "auth.forbidden"


@pytest.mark.parametrize(
    ("month", "code"),
    [
        ("2023-7", "report.bad_month"),
        ("2023-13", "report.bad_month"),
        ("2999-01", "report.future_month"),
        ("2001-01", "report.no_data"),
    ],
)
def test_bad_months_are_422_with_a_message(factory: Factory, july: None, month: str, code: str) -> None:
    response = factory.user("supervisor").get(f"/reports/monthly/{month}", language="en")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == code and "month" in error["fields"]
    assert error["message"] and error["message"] != code


def test_freezing_twice_is_409(factory: Factory, july: None) -> None:
    mayor = factory.user("mayor_office")
    first = mayor.post("/reports/monthly/2023-07/freeze")
    assert first.status_code == 201 and first.get_json()["frozen_by"] == mayor.actor.username
    second = mayor.post("/reports/monthly/2023-07/freeze")
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "report.already_frozen"
    assert "凍結" in second.get_json()["error"]["message"]
    assert mayor.get("/reports/monthly/2023-07").get_json()["frozen"]["frozen_by"] == mayor.actor.username
    assert factory.user("supervisor").post("/reports/monthly/2023-06/freeze").status_code == 403

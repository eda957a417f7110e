"""The JSON API with the console's login session: reads as the user, changes only with the CSRF token."""

from __future__ import annotations

from app.db import db
from app.models import User
from tests.factories import Factory, case_state
from tests.web.conftest import CSRF_FIELD, csrf_token, log_in_client


def test_a_logged_in_responder_reads_their_agencys_cases_without_a_token(client, factory: Factory, make_login) -> None:
    ours = factory.case()  # fallen tree: PWD-MAINT
    theirs = factory.case(category_code="pothole")  # pothole in Fongshan: the district office
    log_in_client(client, make_login())
    response = client.get("/api/v1/cases", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    numbers = [item["case_no"] for item in response.get_json()["items"]]
    assert numbers == [ours.case_no]
    assert theirs.case_no not in numbers


def test_a_change_through_the_session_needs_the_csrf_header(client, factory: Factory, make_login) -> None:
    case = factory.case()
    log_in_client(client, make_login())
    before = case_state(case.case_no)
    path = f"/api/v1/cases/{case.case_no}/acknowledge"
    refused = client.post(path, json={"version": case.version}, headers={"Accept-Language": "en"})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "auth.csrf"
    assert "X-CSRFToken" in refused.get_json()["error"]["message"]
    forged = client.post(path, json={"version": case.version}, headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 403
    assert case_state(case.case_no) == before, "a refused change changed the case"
    token = csrf_token(client, "/console/live")
    accepted = client.post(path, json={"version": case.version}, headers={"X-CSRFToken": token})
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["status"] == "acknowledged"


def test_a_token_from_before_the_login_is_worth_nothing_after_it(client, factory: Factory, make_login) -> None:
    case = factory.case()
    unchanged = case_state(case.case_no)
    before = csrf_token(client, "/login", CSRF_FIELD)
    log_in_client(client, make_login())
    response = client.post(
        f"/api/v1/cases/{case.case_no}/acknowledge", json={"version": case.version}, headers={"X-CSRFToken": before}
    )
    assert response.status_code == 403
    assert case_state(case.case_no) == unchanged


def test_a_bearer_token_is_used_as_before_even_with_a_session(client, factory: Factory, make_login) -> None:
    log_in_client(client, make_login())
    bad = client.get("/api/v1/cases", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "auth.invalid"
    case = factory.case()
    agent = factory.agent  # a bearer-token change needs no CSRF token
    assert agent.act(case.case_no, "note", case.version, text="checked").status_code == 200


def test_without_a_session_or_a_token_the_api_says_how_to_authenticate(client) -> None:
    response = client.get("/api/v1/cases", headers={"Accept-Language": "en"})
    assert response.status_code == 401
    assert response.get_json()["error"] == {
        "code": "auth.missing",
        "message": "Send Authorization: Bearer <token>, or log in to the console first.",
    }


def test_a_deactivated_users_session_stops_working_at_once(client, make_login) -> None:
    login = make_login()
    log_in_client(client, login)
    user = db.session.get(User, login.user_id)
    assert user is not None
    user.active = False
    db.session.commit()
    assert client.get("/api/v1/cases").status_code == 401
    response = client.get("/console/live")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_the_front_door_is_the_console_and_it_asks_for_a_login(client) -> None:
    assert client.get("/").headers["Location"] == "/console/live"
    assert client.get("/console/live").headers["Location"] == "/login"


def test_login_and_logout_refuse_a_post_without_the_csrf_token(client, make_login) -> None:
    login = make_login()
    refused = client.post("/login", data={"username": login.username, "password": login.password})
    assert refused.status_code == 400
    assert client.get("/console/live").status_code == 302
    log_in_client(client, login)
    assert client.post("/logout").status_code == 400
    assert client.get("/console/live").status_code == 200


def test_the_webhooks_and_the_api_are_not_asked_for_a_csrf_token(client, factory: Factory) -> None:
    # Twilio's signature (403 here, unsigned), not a CSRF token (400), guards the webhooks.
    assert client.post("/telephony/sms/inbound", data={"Body": "1"}).status_code == 403
    assert factory.api_case()["case_no"]

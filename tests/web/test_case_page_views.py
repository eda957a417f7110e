"""The case page and the search page without a browser: who may open what, the actions each role is offered,
a stale version explained with the values kept, and the search's words."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from app.cases import actions, requests
from app.db import db
from app.models import CaseEvent, CaseRequest
from app.vocabulary import Role
from tests.factories import Factory, case_state
from tests.web.conftest import CSRF_FIELD, csrf_token, log_in_client


def _page(client: FlaskClient, path: str) -> tuple[int, str]:
    response = client.get(path)
    return response.status_code, response.get_data(as_text=True)


def _form_token(html: str) -> str:
    match = re.search(r'name="[\w-]*csrf_token" type="hidden" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_an_agent_sees_the_case_in_words_with_its_actions(client: FlaskClient, factory: Factory, make_login) -> None:
    case = factory.case(reporter_phone="0912-345-678")
    log_in_client(client, make_login(Role.AGENT, None))
    status, html = _page(client, f"/console/cases/{case.case_no}?lang=zh-TW")
    assert status == 200
    assert "路樹倒塌擋住車道" in html and "0912 345 678" in html
    assert "派至" in html and "新案" in html  # the timeline in words
    assert 'id="action-note"' in html and 'id="action-acknowledge"' in html
    assert 'id="action-close"' not in html  # a dispatch closes after the agency's report only


def test_another_agencys_responder_gets_404_and_the_own_agency_sees_the_phone_masked(
    client: FlaskClient, factory: Factory, make_login
) -> None:
    case = factory.case(reporter_phone="0912-345-678")
    assert case.agency.code == "PWD-MAINT"
    log_in_client(client, make_login(Role.AGENCY, "EPB"))
    status, html = _page(client, f"/console/cases/{case.case_no}")
    assert status == 404 and "路樹" not in html
    assert client.get(f"/console/cases/{case.case_no}/sections").status_code == 404


def test_the_mayors_office_reads_without_forms(client: FlaskClient, factory: Factory, make_login) -> None:
    case = factory.case(reporter_phone="0912-345-678")
    log_in_client(client, make_login(Role.MAYOR_OFFICE, None))
    status, html = _page(client, f"/console/cases/{case.case_no}")
    assert status == 200 and "0912***678" in html and "0912 345 678" not in html
    assert '<form method="post" action="/console/cases/' not in html


def test_a_stale_note_is_explained_and_kept(client: FlaskClient, factory: Factory, make_login) -> None:
    case = factory.case()
    log_in_client(client, make_login(Role.AGENT, None))
    _, html = _page(client, f"/console/cases/{case.case_no}")
    seen = int(re.search(r'name="note-seen" type="hidden" value="(\d+)"', html).group(1))
    read_at = case.version
    actions.add_note(
        session=db.session, actor=factory.agent.actor, case_no=case.case_no, version=read_at, text="另一位同仁的備註"
    )
    response = client.post(
        f"/console/cases/{case.case_no}/act/note",
        data={
            "note-csrf_token": _form_token(html),
            "note-version": str(read_at),
            "note-seen": str(seen),
            "note-text": "我的備註",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "另一位同仁的備註" in body and "我的備註" in body
    db.session.expire_all()
    notes = db.session.query(CaseEvent).filter_by(case_id=case.id, event_type="note_added").count()
    assert notes == 1


def test_search_finds_by_phone_written_another_way(client: FlaskClient, factory: Factory, make_login) -> None:
    case = factory.case(reporter_phone="0912-345-678")
    log_in_client(client, make_login(Role.AGENT, None))
    status, html = _page(client, "/console/search?q=%2B886+912+345+678&lang=en")
    assert status == 200 and case.case_no in html and "1 cases found" in html
    _, html = _page(client, "/console/search?q=nothing-like-this&lang=en")
    assert "No case matches." in html


def test_the_agency_is_offered_only_the_requests_the_centre_would_take_now(
    client: FlaskClient, factory: Factory, make_login
) -> None:
    case = factory.case()
    log_in_client(client, make_login(Role.AGENCY, "PWD-MAINT"))
    status, html = _page(client, f"/console/cases/{case.case_no}")
    assert status == 200 and 'id="request-jurisdiction"' in html and 'id="request-extension"' in html
    responder = factory.user("agency", agency="PWD-MAINT").actor
    case = actions.acknowledge_case(session=db.session, actor=responder, case_no=case.case_no, version=case.version)
    actions.wait_for_citizen(
        session=db.session, actor=responder, case_no=case.case_no, version=case.version, reason="請民眾補充位置"
    )
    # Waiting for the citizen: more time may be asked, a re-route may not (its clock is stopped).
    status, html = _page(client, f"/console/cases/{case.case_no}")
    assert status == 200 and 'id="request-jurisdiction"' not in html and 'id="request-extension"' in html


def test_a_request_decided_twice_is_a_409_with_the_reason_and_the_case_stays_moved_once(
    client: FlaskClient, factory: Factory, make_login
) -> None:
    case = factory.case()
    responder = factory.user("agency", agency="PWD-MAINT").actor
    asked = requests.request_jurisdiction(
        session=db.session, actor=responder, case_no=case.case_no, to_agency="EPB", reason="噪音屬環保局業管"
    )
    log_in_client(client, make_login(Role.SUPERVISOR, None))
    status, html = _page(client, f"/console/cases/{case.case_no}")
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert status == 200 and match
    form = {"csrf_token": match.group(1), "next": f"/console/cases/{case.case_no}"}
    assert client.post(f"/console/requests/{asked.id}/approve", data=form).status_code == 303
    after = case_state(case.case_no)
    # The same page sent twice (or two supervisors at once): refused, said why, and nothing moves again.
    again = client.post(f"/console/requests/{asked.id}/approve", data=form)
    assert again.status_code == 409 and "這件申請已經核定過了" in again.get_data(as_text=True)
    assert case_state(case.case_no) == after
    refused = client.post(f"/console/requests/{asked.id}/refuse", data={**form, "reason": "晚了"})
    assert refused.status_code == 409
    db.session.rollback()
    assert db.session.scalar(select(CaseRequest.state).where(CaseRequest.id == asked.id)) == "approved"


def test_the_pages_background_read_leaves_the_session_cookie_alone(
    client: FlaskClient, factory: Factory, make_login
) -> None:
    """A notice flashed by a form survives the page script's re-read of its sections sent at the same moment."""
    case = factory.case()
    log_in_client(client, make_login(Role.AGENT))
    page = client.get(f"/console/cases/{case.case_no}")
    assert page.status_code == 200
    sections = client.get(f"/console/cases/{case.case_no}/sections")
    assert sections.status_code == 200
    assert "Set-Cookie" not in sections.headers


def test_the_login_cookie_is_same_site_lax(client: FlaskClient, make_login) -> None:
    login = make_login(Role.AGENT)
    token = csrf_token(client, "/login", CSRF_FIELD)
    answer = client.post("/login", data={"csrf_token": token, "username": login.username, "password": login.password})
    assert answer.status_code == 302
    assert "SameSite=Lax" in answer.headers["Set-Cookie"]

"""The case page and the search page without a browser: who may open what, the actions each role is offered,
a stale version explained with the values kept, and the search's words."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from app.cases import actions
from app.db import db
from app.models import CaseEvent
from app.vocabulary import Role
from tests.factories import Factory
from tests.web.conftest import log_in_client


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

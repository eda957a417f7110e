"""The intake page without a script: start a call, record its case, end it otherwise; errors beside the fields."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.db import db
from app.models import Call, Case, CaseEvent
from app.vocabulary import CallOutcome, EventType, Role
from tests.factories import Factory
from tests.knowledge.helpers import published
from tests.web.conftest import CSRF_FIELD, csrf_token, log_in_client

CALL_PAGE = re.compile(r"/console/intake/calls/(\d+)$")


def _start(client: FlaskClient, caller: str) -> int:
    token = csrf_token(client, "/console/intake", CSRF_FIELD)
    response = client.post("/console/intake/calls", data={"csrf_token": token, "caller": caller, "channel": "phone"})
    match = CALL_PAGE.search(response.headers["Location"])
    assert response.status_code == 302 and match, response.get_data(as_text=True)[:500]
    return int(match.group(1))


def _case_token(client: FlaskClient, call_id: int) -> str:
    return csrf_token(
        client,
        f"/console/intake/calls/{call_id}",
        re.compile(r'id="case-csrf" name="csrf_token" type="hidden" value="([^"]+)"'),
    )


def _counts() -> tuple[int, int]:
    cases = db.session.scalar(select(func.count()).select_from(Case)) or 0
    ended = db.session.scalar(select(func.count()).select_from(Call).where(Call.outcome.is_not(None))) or 0
    return cases, ended


def test_a_dispatch_is_recorded_and_the_call_ends_as_case_opened(client, make_login) -> None:
    log_in_client(client, make_login(Role.AGENT, None))
    call_id = _start(client, "0912-345-678")
    page = client.get(f"/console/intake/calls/{call_id}").get_data(as_text=True)
    assert 'value="0912 345 678"' in page  # the reporter's phone starts as the caller's
    response = client.post(
        f"/console/intake/calls/{call_id}/case",
        data={
            "csrf_token": _case_token(client, call_id),
            "category": "fallen_tree",
            "district": "fongshan",
            "address": "光復路二段132號",
            "description": "路樹倒塌擋住車道",
            "reporter_phone": "0912 345 678",
        },
    )
    assert response.status_code == 302
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    case = db.session.scalars(select(Case)).one()
    call = db.session.get(Call, call_id)
    assert (call.outcome, call.case_id, case.channel.value) == (CallOutcome.CASE_OPENED, case.id, "phone")
    year_day, sequence = case.case_no.split("-")
    assert f"<span>{year_day[:-4]}</span> <span>{year_day[-4:]}</span> <span>{sequence}</span>" in done


def test_errors_show_beside_their_fields_with_the_values_kept_and_nothing_recorded(client, make_login) -> None:
    log_in_client(client, make_login(Role.AGENT, None))
    call_id = _start(client, "")
    response = client.post(
        f"/console/intake/calls/{call_id}/case",
        data={
            "csrf_token": _case_token(client, call_id),
            "category": "fallen_tree",
            "address": "光復路二段132號",
            "description": "",
            "reporter_phone": "12",
            "wants_sms": "y",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="description-error" class="error field-error">此欄位必填。', page)
    assert 'aria-describedby="description-error"' in page and 'value="光復路二段132號"' in page
    assert '<option value="fallen_tree" data-zh="路樹傾倒" data-en="Fallen tree"\n                selected>' in page
    assert _counts() == (0, 0)
    # Fixed: the service's own refusal (no district for a dispatch) lands beside the district.
    response = client.post(
        f"/console/intake/calls/{call_id}/case",
        data={"csrf_token": _case_token(client, call_id), "category": "fallen_tree", "description": "路樹倒塌"},
    )
    assert response.status_code == 422 and 'id="district-error"' in response.get_data(as_text=True)
    assert _counts() == (0, 0)


def test_a_progress_inquiry_from_the_history_names_the_case(client, make_login, factory: Factory) -> None:
    case = factory.case(reporter_phone="0912-345-678")
    log_in_client(client, make_login(Role.AGENT, None))
    call_id = _start(client, "+886 912 345 678")
    page = client.get(f"/console/intake/calls/{call_id}").get_data(as_text=True)
    assert f'name="inquiry_case_no" value="{case.case_no}"' in page
    token = csrf_token(
        client,
        f"/console/intake/calls/{call_id}",
        re.compile(r'id="end-csrf" name="csrf_token" type="hidden" value="([^"]+)"'),
    )
    response = client.post(
        f"/console/intake/calls/{call_id}/end", data={"csrf_token": token, "inquiry_case_no": case.case_no}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.rollback()  # the test's own snapshot ends: read what the request committed
    call = db.session.get(Call, call_id)
    assert (call.outcome, call.case_id) == (CallOutcome.PROGRESS_INQUIRY, case.id)


def test_adding_a_call_to_a_case_counts_a_report_and_keeps_the_reporter(client, make_login, factory: Factory) -> None:
    case = factory.case()
    log_in_client(client, make_login(Role.AGENT, None))
    call_id = _start(client, "0933-111-222")
    response = client.post(
        f"/console/intake/calls/{call_id}/add",
        data={
            "csrf_token": _case_token(client, call_id),
            "add_case_no": case.case_no,
            "reporter_name": "王小明",
            "reporter_phone": "0933 111 222",
            "description": "樹還壓著機車",
        },
    )
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Case, case.id).report_count == 2
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.event_type == EventType.REPORT_ADDED)).one()
    assert (event.payload["reporter_name"], event.payload["reporter_phone"], event.payload["text"]) == (
        "王小明",
        "+886933111222",
        "樹還壓著機車",
    )
    assert db.session.get(Call, call_id).outcome is CallOutcome.ADDED_TO_CASE


def test_a_consultation_is_answered_from_an_article_id_the_form_carries(client, make_login, factory: Factory) -> None:
    article = published(factory.agent.actor, factory.user("supervisor").actor)
    log_in_client(client, make_login(Role.AGENT, None))
    call_id = _start(client, "未顯示號碼")
    token = csrf_token(
        client,
        f"/console/intake/calls/{call_id}",
        re.compile(r'id="end-csrf" name="csrf_token" type="hidden" value="([^"]+)"'),
    )
    refused = client.post(f"/console/intake/calls/{call_id}/end", data={"csrf_token": token, "outcome": "transferred"})
    assert refused.status_code == 422 and 'id="transferred_to-error"' in refused.get_data(as_text=True)
    response = client.post(
        f"/console/intake/calls/{call_id}/end",
        data={"csrf_token": token, "outcome": "consultation_answered", "article_id": str(article.id)},
    )
    assert response.status_code == 302
    db.session.rollback()
    call = db.session.get(Call, call_id)
    assert (call.outcome, call.article_id, call.caller_phone, call.caller_as_given) == (
        CallOutcome.CONSULTATION_ANSWERED,
        article.id,
        None,
        "未顯示號碼",
    )


def test_the_intake_pages_are_for_the_centres_staff_only(client, make_login) -> None:
    log_in_client(client, make_login(Role.AGENCY, "PWD-MAINT"))
    for path in (
        "/console/intake",
        "/console/my-work",
        "/console/intake/duplicates.json?category=fallen_tree",
        "/console/intake/history.json?phone=0912345678",
    ):
        assert client.get(path).status_code == 403, path
    assert db.session.scalar(select(func.count()).select_from(Call)) == 0


def test_the_history_and_duplicates_answer_the_page_script_in_json(client, make_login, factory: Factory) -> None:
    case = factory.case(reporter_phone="0912-345-678")
    log_in_client(client, make_login(Role.AGENT, None))
    history = client.get("/console/intake/history.json?phone=%2B886%20912%20345%20678").get_json()
    assert [row["case_no"] for row in history["cases"]] == [case.case_no]
    assert history["cases"][0]["time_left_words"].startswith("剩")
    found = client.get(
        "/console/intake/duplicates.json?category=fallen_tree&district=fongshan&address=光復路２段132號"
    ).get_json()
    assert [(row["case_no"], row["why"], row["report_count"]) for row in found["items"]] == [
        (case.case_no, "same_place", 1)
    ]

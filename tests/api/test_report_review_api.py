"""Reporting back with an outcome and the closure review's return over the JSON API."""

from __future__ import annotations

from tests.factories import Factory, case_state


def test_a_report_carries_its_outcome_and_a_bad_one_changes_nothing(factory: Factory) -> None:
    case = factory.api_case()
    responder = factory.user("agency", agency="PWD-MAINT")
    before = case_state(case["case_no"])
    bad = responder.act(case["case_no"], "report", case["version"], text="已處理", outcome="finished", language="en")
    assert bad.status_code == 422 and "outcome" in bad.get_json()["error"]["fields"]
    assert case_state(case["case_no"]) == before
    reported = responder.act(case["case_no"], "report", case["version"], text="已派員", outcome="scheduled")
    assert reported.status_code == 200
    assert reported.get_json()["report_outcome"] == "scheduled"
    unsaid = factory.api_case(address="鳳山區光復路二段9號")
    plain = responder.act(unsaid["case_no"], "report", unsaid["version"], text="已處理")  # outcome left out
    assert plain.get_json()["report_outcome"] == "other"


def test_the_centre_returns_a_report_with_a_reason_and_an_agency_may_not(factory: Factory) -> None:
    case = factory.api_case()
    responder = factory.user("agency", agency="PWD-MAINT")
    reported = responder.act(case["case_no"], "report", case["version"], text="已處理", outcome="done").get_json()
    before = case_state(case["case_no"])
    assert responder.act(case["case_no"], "return", reported["version"], reason="自己退回").status_code == 403
    no_reason = factory.agent.act(case["case_no"], "return", reported["version"])
    assert no_reason.status_code == 422
    blank = factory.agent.act(case["case_no"], "return", reported["version"], reason="   ")
    assert blank.status_code == 422
    assert case_state(case["case_no"]) == before
    returned = factory.agent.act(case["case_no"], "return", reported["version"], reason="請補照片")
    assert returned.status_code == 200 and returned.get_json()["status"] == "assigned"
    events = factory.agent.get(f"/cases/{case['case_no']}/events").get_json()
    sent_back = next(event for event in events if event["event_type"] == "case_returned")
    assert sent_back["payload"]["reason"] == "請補照片" and sent_back["payload"]["outcome"] == "done"

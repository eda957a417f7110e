"""Issue 11, privacy: a masked view can neither recover a phone number nor find an anonymous reporter."""

from __future__ import annotations

import pytest

from tests.factories import Factory

FULL = "0921-363-979"


@pytest.mark.parametrize("role", ["agency", "mayor_office"])
def test_a_masked_view_cannot_search_by_phone_so_candidates_tell_nothing(factory: Factory, role: str) -> None:
    case = factory.api_case(reporter_phone=FULL)
    user = factory.user(role, agency="PWD-MAINT" if role == "agency" else None)
    assert user.get(f"/cases/{case['case_no']}").get_json()["reporter_phone"] == "0921***979"
    answers = set()
    # The right number and wrong candidates get the same refusal: no oracle.
    for candidate in ("0921363979", "0921-000-979", "+886921363979", "0921 999 979"):
        for field in ("phone", "q"):
            response = user.get("/cases", query_string={field: candidate})
            body = response.get_json()
            assert response.status_code == 403, body
            assert "items" not in body and body["error"]["code"] == "search.phone_not_allowed"
            answers.add((field, response.get_data(as_text=True)))
    assert len(answers) == 2  # one answer per field, whatever the candidate
    # Staff still find the caller's cases.
    found = factory.agent.get("/cases", query_string={"phone": "0921363979"}).get_json()["items"]
    assert [item["case_no"] for item in found] == [case["case_no"]]


@pytest.mark.parametrize("role", ["agency", "mayor_office"])
def test_an_anonymous_reporter_cannot_be_found_by_a_masked_view(factory: Factory, role: str) -> None:
    anonymous = factory.api_case(reporter_phone=FULL, anonymous=True)
    factory.api_case(reporter_phone=FULL, description="同一民眾具名的另一案")
    user = factory.user(role, agency="PWD-MAINT" if role == "agency" else None)
    for query in ({"phone": FULL}, {"q": FULL}, {"q": "+886921363979"}):
        response = user.get("/cases", query_string=query)
        assert response.status_code == 403 and anonymous["case_no"] not in response.get_data(as_text=True)
    seen = user.get(f"/cases/{anonymous['case_no']}").get_json()
    assert (seen["reporter_phone"], seen["reporter_name"]) == (None, None)


def test_a_landline_is_masked_as_much_as_a_mobile(factory: Factory) -> None:
    case = factory.api_case(reporter_phone="07-733-3333", description="市話回報，請回電 (07)733-3333")
    responder = factory.user("agency", agency="PWD-MAINT")
    seen = responder.get(f"/cases/{case['case_no']}").get_json()
    assert seen["reporter_phone"] == "07***333"
    assert "07***333" in seen["description"] and "7333333" not in responder.get(
        f"/cases/{case['case_no']}/events"
    ).get_data(as_text=True).replace("-", "")
    # At least three digits hidden, as for a mobile's 0921***979.
    assert sum(ch.isdigit() for ch in seen["reporter_phone"]) <= 9 - 3

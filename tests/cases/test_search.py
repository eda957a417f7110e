"""Finding cases by case number, by caller phone in any written form, and by Chinese text."""

from __future__ import annotations

import pytest

from app.cases import search
from app.cases.textgrams import is_gram_query, short_grams
from tests.factories import Factory


@pytest.fixture
def corpus(factory: Factory) -> dict[str, str]:
    cases = {
        "tree": factory.case(
            description="路樹倒塌擋住車道", address="鳳山區光復路二段132號", reporter_phone="0912-345-678"
        ),
        "light": factory.case(
            category_code="street_light", description="路燈不亮已三天", address="三民區自由路一段1號"
        ),
        "flood": factory.case(
            category_code="road_flooding", description="地下道嚴重積水，機車熄火", address="前鎮區中山四路"
        ),
        "ascii": factory.case(description='Tree blocking the 100% lane "north"', address="Zhongshan Rd."),
    }
    return {name: case.case_no for name, case in cases.items()}


def _found(factory: Factory, query: str) -> set[str]:
    response = factory.agent.get("/cases", query_string={"q": query})
    assert response.status_code == 200, response.get_json()
    return {case["case_no"] for case in response.get_json()["items"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("路樹", {"tree"}),  # 2 characters: the gram index
        ("積水", {"flood"}),
        ("樹", {"tree"}),  # 1 character
        ("路樹倒", {"tree"}),  # 3 characters: the trigram index
        ("光復路", {"tree"}),  # in the address
        ("路樹倒塌擋", {"tree"}),  # 5 characters
        ("路燈 三天", {"light"}),  # every term must match
        ("路", {"tree", "light", "flood"}),
        ("塌擋住車道了", set()),
        ("100%", {"ascii"}),  # LIKE wildcards are literal
        ('"north"', {"ascii"}),  # quotes do not break FTS syntax
        ("tree", {"ascii"}),  # case-insensitive for Latin letters
    ],
)
def test_text_queries(factory: Factory, corpus: dict[str, str], query: str, expected: set[str]) -> None:
    assert _found(factory, query) == {corpus[name] for name in expected}


def test_case_number_finds_exactly_that_case(factory: Factory, corpus: dict[str, str]) -> None:
    assert _found(factory, corpus["light"]) == {corpus["light"]}


@pytest.mark.parametrize("written", ["0912-345-678", "0912345678", "+886 912 345 678", "886912345678"])
def test_caller_phone_in_any_form(factory: Factory, corpus: dict[str, str], written: str) -> None:
    assert _found(factory, written) == {corpus["tree"]}
    response = factory.agent.get("/cases", query_string={"phone": written})
    assert {c["case_no"] for c in response.get_json()["items"]} == {corpus["tree"]}


def test_agency_search_stays_within_its_agency(factory: Factory, corpus: dict[str, str]) -> None:
    responder = factory.user("agency", agency="WRB")
    response = responder.get("/cases", query_string={"q": "路"})
    assert {c["case_no"] for c in response.get_json()["items"]} == {corpus["flood"]}


def test_short_grams_cover_every_one_and_two_character_substring() -> None:
    assert set(short_grams("路樹倒")) == {"路", "樹", "倒", "路樹", "樹倒"}
    assert set(short_grams("ＡＢ 1")) == {"a", "b", "ab", "1"}
    # Only letters and digits make a run: underscores and punctuation split it, as spaces do.
    assert set(short_grams("a_b，c-d")) == {"a", "b", "c", "d"}
    assert is_gram_query("路樹") and not is_gram_query("路樹倒") and not is_gram_query("%")


def test_every_term_must_match_whichever_order(factory: Factory) -> None:
    tree = factory.case(description="路樹倒塌")
    flood = factory.case(category_code="road_flooding", description="路口積水")
    both = factory.case(description="路樹倒在積水的路口")
    for query in ("路樹 積水", "積水 路樹", "路樹倒 積水", "積水 路樹倒"):
        found = _found(factory, query)
        assert both.case_no in found and tree.case_no not in found and flood.case_no not in found, query


def test_full_width_letters_and_digits_find_half_width_text(factory: Factory) -> None:
    case = factory.case(description="卡拉OK店門口坑洞約30公分", address="光復路132號")
    for query in ("卡拉ＯＫ", "３０公分", "１３２號", "卡拉ok"):
        assert _found(factory, query) == {case.case_no}, query


@pytest.mark.parametrize("query", ["路", "路樹", "光復路", "路樹 積水", "卡拉ＯＫ"])
def test_common_terms_take_the_other_path_with_the_same_answer(
    factory: Factory, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    """Past PREFETCH_CAP matches the index is not read in full; the answer must not change."""
    for description in ("路樹倒在積水的光復路", "卡拉OK店前路樹倒塌", "光復路路樹倒塌", "路口積水"):
        factory.case(description=description)
    expected = _found(factory, query)
    monkeypatch.setattr(search, "PREFETCH_CAP", 1)
    assert _found(factory, query) == expected

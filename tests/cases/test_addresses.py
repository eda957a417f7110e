"""Addresses made comparable (pure): one spelling per place, whatever the caller's way of writing it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.cases.addresses import MAX_NUMBER_GAP, NO_NUMBER_DISTANCE, distance, normalise

ROADS = st.sampled_from(["光復路", "中山路", "臺灣大道", "自由路", "五福路", "左營大路"])
SECTIONS = st.sampled_from(["", "一段", "二段", "三段"])
NUMBERS = st.integers(min_value=1, max_value=999)
SUBS = st.one_of(st.none(), st.integers(min_value=1, max_value=20))


def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "0" <= ch <= "9" else ch for ch in text)


def _written(road: str, section: str, number: int, sub: int | None) -> str:
    return f"{road}{section}{number}號" + (f"之{sub}" if sub else "")


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("高雄市鳳山區光復路二段132號", "光復路2段132號"),
        ("光復路２段 132 號", "光復路2段132號"),
        ("臺灣大道一段１３２號之１", "台灣大道1段132之1號"),
        ("台灣大道1段132-1號", "台灣大道1段132之1號"),
        ("鳳山區文英里5鄰光復路2段132號前", "光復路2段132號前"),
        ("中山路二十三巷5號", "中山路23巷5號"),
        ("中山路十巷5號。", "中山路10巷5號"),
        ("六合夜市", "六合夜市"),
    ],
)
def test_the_ways_callers_write_an_address_become_one(written: str, normalised: str) -> None:
    assert normalise(written) == normalised


@given(
    ROADS,
    SECTIONS,
    NUMBERS,
    SUBS,
    st.sampled_from(["{n}號之{s}", "{n}之{s}號", "{n}-{s}號"]),
    st.lists(st.integers(0, 12), max_size=4),
)
def test_width_spaces_tai_and_the_sub_number_spelling_do_not_matter(
    road: str, section: str, number: int, sub: int | None, spelling: str, gaps: list[int]
) -> None:
    plain = _written(road, section, number, sub)
    house = spelling.format(n=number, s=sub) if sub else f"{number}號"
    variant = _full_width(f"{road}{section}{house}").replace("台", "臺")
    for gap in gaps:  # spaces typed anywhere
        variant = variant[:gap] + " " + variant[gap:]
    assert normalise(variant) == normalise(plain)


@given(st.text(max_size=40))
def test_normalising_twice_changes_nothing(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)


@given(ROADS, SECTIONS, NUMBERS, NUMBERS)
def test_distance_on_one_street_is_the_gap_in_house_numbers(road: str, section: str, a: int, b: int) -> None:
    gap = distance(normalise(_written(road, section, a, None)), normalise(_written(road, section, b, None)))
    assert gap == (abs(a - b) if abs(a - b) <= MAX_NUMBER_GAP else None)


def test_distance_tells_the_same_place_from_a_neighbour_and_another_street() -> None:
    here = normalise("光復路二段132號")
    assert distance(here, normalise("光復路2段132號")) == 0
    assert distance(here, normalise("光復路2段132號前")) == 0.25
    assert distance(here, normalise("光復路2段132之1號")) == 0.5
    assert distance(here, normalise("光復路2段140號")) == 8
    assert distance(here, normalise("光復路二段")) == NO_NUMBER_DISTANCE
    assert distance(here, normalise("光復路1段132號")) is None
    assert distance(here, normalise("光復路2段15巷132號")) is None
    assert distance(here, normalise("中山路2段132號")) is None
    assert distance(here, "") is None

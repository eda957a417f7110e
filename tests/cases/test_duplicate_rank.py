"""Ranking possible duplicates (pure): the same place first, then nearer before farther, newest among
equals, then the caller's own open cases; each case offered once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.cases.duplicate_rank import Candidate, Why, rank_duplicates

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _candidate(
    case_id: int, address: str | None, minutes_ago: int = 10, *, district: bool = True, caller: bool = False
):
    return Candidate(case_id, address, NOW - timedelta(minutes=minutes_ago), same_district=district, same_caller=caller)


def test_the_same_place_comes_first_then_the_nearest_then_the_callers_own() -> None:
    ranked = rank_duplicates(
        "光復路二段132號",
        [
            _candidate(1, "光復路2段140號"),
            _candidate(2, "中山路1號", caller=True),
            _candidate(3, "鳳山區光復路２段１３２號", minutes_ago=50),
            _candidate(4, "光復路2段132號前", minutes_ago=5),
            _candidate(5, "光復路2段300號"),  # the same street, too far along it
            _candidate(6, "光復路2段133號", district=False),  # another district's 光復路
            _candidate(7, "光復路2段132號", minutes_ago=20),
        ],
    )
    assert [(r.case_id, r.why) for r in ranked] == [
        (7, Why.SAME_PLACE),  # exact, newer than 3
        (3, Why.SAME_PLACE),
        (4, Why.SAME_PLACE),  # words after the number: a quarter further
        (1, Why.NEARBY),
        (2, Why.SAME_CALLER),
    ]


def test_a_callers_case_at_the_same_place_is_offered_once_as_a_place_match() -> None:
    ranked = rank_duplicates("光復路2段132號", [_candidate(1, "光復路2段132號", caller=True)] * 2)
    assert [(r.case_id, r.why) for r in ranked] == [(1, Why.SAME_PLACE)]


def test_without_an_address_only_the_callers_own_cases_are_offered() -> None:
    ranked = rank_duplicates("", [_candidate(1, "光復路2段132號"), _candidate(2, "中山路1號", 5, caller=True)])
    assert [r.case_id for r in ranked] == [2]


@given(st.lists(st.tuples(st.integers(1, 400), st.integers(0, 1440), st.booleans()), max_size=30), st.integers(1, 8))
def test_the_ranking_never_repeats_a_case_keeps_the_limit_and_is_ordered(
    rows: list[tuple[int, int, bool]], limit: int
) -> None:
    candidates = [
        _candidate(i, f"光復路2段{number}號", ago, caller=caller) for i, (number, ago, caller) in enumerate(rows)
    ]
    ranked = rank_duplicates("光復路2段132號", candidates, limit)
    assert len(ranked) == len({r.case_id for r in ranked}) <= limit
    placed = [r.distance for r in ranked if r.distance is not None]
    assert placed == sorted(placed)
    assert all(r.why is Why.SAME_CALLER for r in ranked[len(placed) :])

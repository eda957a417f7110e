"""The knowledge base's pure parts: one normal form for text and queries, and the order of results."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.knowledge import ranking
from app.knowledge import text as kbtext
from app.vocabulary import ArticleState


def hit(article_id: int, title: str, tags: str = "", state: ArticleState = ArticleState.PUBLISHED):
    return ranking.Hit(article_id, kbtext.normalise(title), tags, state)


def test_full_width_forms_and_both_ways_of_writing_tai_are_one_form() -> None:
    assert kbtext.normalise("臺北ＡＴＭ　３０號") == kbtext.normalise("台北atm 30號") == "台北atm 30號"
    assert kbtext.terms("臺灣  台灣 ＡＴＭ") == ["台灣", "atm"]


def test_short_grams_cover_one_and_two_character_queries() -> None:
    grams = kbtext.short_grams("臺鐵 ＭＲＴ")
    assert {"台", "鐵", "台鐵", "m", "mr", "rt"} <= set(grams)
    assert "鐵m" not in grams  # no gram across a space


def test_tags_as_typed_with_any_separator() -> None:
    assert kbtext.clean_tags("垃圾, 清潔隊、垃圾，資源 回收\n|x|") == ["垃圾", "清潔隊", "資源 回收", "x"]
    assert kbtext.tag_field(["臺鐵", "MRT"]) == "|台鐵|mrt|"
    assert kbtext.tag_field([]) == ""


def test_a_title_hit_ranks_above_a_tag_hit_above_a_body_hit() -> None:
    body_only = hit(1, "房屋稅繳納")
    tagged = hit(2, "繳費方式", tags="|垃圾|")
    titled = hit(3, "大型垃圾預約")
    assert [h.article_id for h in ranking.rank([body_only, tagged, titled], ["垃圾"])] == [3, 2, 1]


def test_more_terms_in_the_title_rank_higher_and_ties_keep_the_given_newest_first_order() -> None:
    newest = hit(3, "垃圾車時間")
    older_both = hit(2, "垃圾車路線與時間")
    oldest = hit(1, "垃圾車時間")
    assert [h.article_id for h in ranking.rank([newest, older_both, oldest], ["垃圾車", "路線"])] == [2, 3, 1]


def test_agents_answering_calls_see_published_articles_only() -> None:
    hits = [hit(1, "垃圾", state=ArticleState.DRAFT), hit(2, "垃圾"), hit(3, "垃圾", state=ArticleState.ARCHIVED)]
    assert [h.article_id for h in ranking.rank(hits, ["垃圾"])] == [2]
    every = ranking.rank(hits, ["垃圾"], states=set(ArticleState))
    assert sorted(h.article_id for h in every) == [1, 2, 3]


@given(st.lists(st.tuples(st.text(max_size=6), st.sampled_from(list(ArticleState))), max_size=12), st.text(max_size=3))
def test_ranking_keeps_exactly_the_hits_in_the_states_asked_for(rows, term) -> None:
    hits = [hit(index, title, state=state) for index, (title, state) in enumerate(rows)]
    ranked = ranking.rank(hits, [term])
    assert sorted(h.article_id for h in ranked) == [h.article_id for h in hits if h.state is ArticleState.PUBLISHED]
    scores = [ranking.score(h, [term]) for h in ranked]
    assert scores == sorted(scores, reverse=True)


@given(st.text(max_size=20))
def test_normalising_twice_changes_nothing(value: str) -> None:
    once = kbtext.normalise(value)
    assert kbtext.normalise(once) == once

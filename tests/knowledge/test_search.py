"""Searching articles in Chinese and English: 1- and 2-character queries, full-width forms, 台/臺, tags."""

from __future__ import annotations

import pytest

from app.db import db
from app.knowledge import ranking
from app.knowledge import text as kbtext
from app.knowledge.queries import find_articles
from app.knowledge.search import candidates, search_ids
from app.knowledge.service import propose_article
from app.vocabulary import ArticleState
from tests.factories import Factory
from tests.knowledge.helpers import draft, published


@pytest.fixture
def articles(factory: Factory) -> dict[str, int]:
    agent, supervisor = factory.agent.actor, factory.user("supervisor").actor
    made = {
        "bulky": published(agent, supervisor),
        "tax": published(
            agent,
            supervisor,
            title_zh="房屋稅繳納期間",
            title_en="House tax",
            body_zh="可至便利商店或ATM繳納，臺灣各地金融機構皆可。",
            body_en="Pay at a convenience store or an ATM.",
            tags=["稅"],
            agency_code="TAX",
        ),
        "mrt": published(
            agent,
            supervisor,
            title_zh="捷運遺失物",
            title_en="MRT lost property",
            body_zh="臺鐵與高鐵遺失物請洽各該單位；垃圾桶內物品不保管。",
            body_en="Ask the railway directly.",
            tags=["捷運", "遺失物"],
            agency_code="MRT",
        ),
    }
    ids = {name: article.id for name, article in made.items()}
    ids["draft"] = propose_article(
        session=db.session, actor=agent, draft=draft(title_zh="垃圾分類草稿", tags=["垃圾"])
    ).id
    return ids


def _found(query: str, **options) -> list[int]:
    return search_ids(db.session, query=query, **options).ids


def test_a_one_character_query_finds_every_article_with_that_character(articles) -> None:
    assert set(_found("稅")) == {articles["tax"]}
    assert set(_found("圾")) == {articles["bulky"], articles["mrt"]}  # the draft is not for answering


def test_a_two_character_query_ranks_a_tag_above_the_body(articles) -> None:
    assert _found("垃圾") == [articles["bulky"], articles["mrt"]]  # a tag of one, in the body of the other
    assert _found("捷運") == [articles["mrt"]]
    assert _found("遺失") == [articles["mrt"]]


def test_full_width_and_half_width_forms_find_each_other(articles) -> None:
    assert _found("ＡＴＭ") == _found("atm") == [articles["tax"]]
    assert _found("Ｈｏｕｓｅ ｔａｘ") == [articles["tax"]]


def test_tai_written_either_way_finds_both(articles) -> None:
    assert set(_found("台灣")) == set(_found("臺灣")) == {articles["tax"]}
    assert _found("台鐵") == [articles["mrt"]]
    assert _found("臺") == _found("台")


def test_three_characters_and_more_go_through_the_trigram_index(articles) -> None:
    assert _found("便利商店") == [articles["tax"]]
    assert _found("convenience store") == [articles["tax"]]
    assert _found("lost property") == [articles["mrt"]]
    assert _found("不存在的字") == []


def test_every_term_must_match(articles) -> None:
    assert _found("垃圾 捷運") == [articles["mrt"]]
    assert _found("稅 捷運") == []


def test_a_tag_filters_and_an_empty_query_lists_newest_first(articles) -> None:
    assert _found("", tag="遺失物") == [articles["mrt"]]
    assert _found("", tag="遺失") == []  # a whole tag, not part of one
    assert _found("") == [articles["mrt"], articles["tax"], articles["bulky"]]


def test_supervisors_can_look_through_drafts(articles) -> None:
    found, total = find_articles(db.session, query="垃圾", states={ArticleState.DRAFT})
    assert [article.id for article in found] == [articles["draft"]] and total == 1


def test_symbols_too_short_for_any_index_are_still_found(factory: Factory) -> None:
    agent, supervisor = factory.agent.actor, factory.user("supervisor").actor
    quoted = published(agent, supervisor, title_zh="「敬老卡」申請", body_zh="見「」說明。")
    assert _found("「」") == [quoted.id]


@pytest.mark.parametrize("query", ["垃圾", "圾", "遺失 垃圾", "atm", "臺", "稅", ""])
def test_the_database_ranks_as_the_pure_ranking_function_does(articles, query: str) -> None:
    every = set(ArticleState)
    expected = [
        hit.article_id
        for hit in ranking.rank(candidates(db.session, query=query, states=every), kbtext.terms(query), every)
    ]
    assert _found(query, states=every) == expected

"""Answering a call from an article (the call ends as a consultation answered, with the article); loading a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.calls.service import start_call
from app.db import db
from app.errors import Conflict, InvalidInput, NotFound
from app.knowledge.answers import answer_from_article, open_call
from app.knowledge.loader import load_articles
from app.knowledge.search import search_ids
from app.knowledge.service import propose_article
from app.models import Article, ArticleRevision, Call
from app.reference.files import ReferenceFileError
from app.vocabulary import ArticleAction, CallOutcome
from tests.factories import Factory
from tests.knowledge.helpers import draft, published

SEED = Path(__file__).resolve().parents[2] / "config" / "knowledge" / "articles.yaml"


def _call_state(call_id: int) -> tuple[object, ...]:
    db.session.expire_all()
    call = db.session.get(Call, call_id)
    assert call is not None
    return call.outcome, call.article_id, call.ended_at


def test_the_call_in_progress_ends_answered_by_the_article(factory: Factory) -> None:
    agent = factory.agent.actor
    article = published(agent, factory.user("supervisor").actor)
    call = start_call(session=db.session, actor=agent, caller="0912-345-678")
    assert open_call(db.session, user_id=agent.user_id).id == call.id
    ended = answer_from_article(session=db.session, actor=agent, article_id=article.id)
    assert (ended.id, ended.outcome, ended.article_id) == (call.id, CallOutcome.CONSULTATION_ANSWERED, article.id)
    assert ended.ended_at is not None and open_call(db.session, user_id=agent.user_id) is None


def test_a_draft_or_unknown_article_answers_no_one_and_the_call_stays_open(factory: Factory) -> None:
    agent = factory.agent.actor
    proposal = propose_article(session=db.session, actor=agent, draft=draft())
    call = start_call(session=db.session, actor=agent, caller="0912345678")
    for article_id, reason in ((proposal.id, "call.article_unpublished"), (99999, "call.article_unknown")):
        with pytest.raises(InvalidInput) as refused:
            answer_from_article(session=db.session, actor=agent, article_id=article_id)
        assert refused.value.fields == {"article_id": [reason]}
        assert _call_state(call.id) == (None, None, None)


def test_without_a_call_in_progress_there_is_nothing_to_answer(factory: Factory) -> None:
    agent = factory.agent.actor
    article = published(agent, factory.user("supervisor").actor)
    with pytest.raises(Conflict) as refused:
        answer_from_article(session=db.session, actor=agent, article_id=article.id)
    assert refused.value.code == "call.none_in_progress"


def test_another_agents_call_cannot_be_ended_from_here(factory: Factory) -> None:
    agent, other = factory.agent.actor, factory.user("agent").actor
    article = published(agent, factory.user("supervisor").actor)
    call = start_call(session=db.session, actor=other, caller="0912345678")
    with pytest.raises(NotFound):
        answer_from_article(session=db.session, actor=agent, article_id=article.id, call_id=call.id)
    assert _call_state(call.id) == (None, None, None)


def test_the_seed_file_loads_published_and_again_changes_nothing(app) -> None:
    first = load_articles(session=db.session, path=SEED)
    assert first.added >= 5 and first.changed == 0
    assert search_ids(db.session, query="房屋稅").ids
    assert search_ids(db.session, query="garbage truck").ids
    again = load_articles(session=db.session, path=SEED)
    assert (again.added, again.changed, again.unchanged) == (0, 0, first.added)
    revisions = db.session.scalars(select(ArticleRevision.action)).all()
    assert len(revisions) == first.added and set(revisions) == {ArticleAction.LOADED}


def test_a_wrong_file_says_where_and_loads_nothing(app, tmp_path: Path) -> None:
    wrong = tmp_path / "articles.yaml"
    wrong.write_text(
        "articles:\n  - slug: a\n    title_zh: 標題\n    body_zh: 內容\n  - slug: b\n    title_zh: x\n", "utf-8"
    )
    with pytest.raises(ReferenceFileError, match=r"articles.yaml:5: missing body_zh"):
        load_articles(session=db.session, path=wrong)
    assert db.session.scalar(select(func.count()).select_from(Article)) == 0

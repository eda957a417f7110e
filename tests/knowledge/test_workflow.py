"""Agents propose; supervisors publish, archive, set review dates; each change a revision; refusals change nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from app.db import db
from app.errors import Conflict, Forbidden, InvalidInput
from app.knowledge import queries
from app.knowledge.search import search_ids
from app.knowledge.service import (
    archive_article,
    edit_article,
    propose_article,
    publish_article,
    set_review_date,
)
from app.models import Article, ArticleRevision
from app.vocabulary import ArticleAction, ArticleState
from tests.factories import Factory
from tests.knowledge.helpers import TODAY, draft


def _snapshot(article_id: int) -> tuple[object, ...]:
    db.session.expire_all()
    article = db.session.get(Article, article_id)
    assert article is not None
    revisions = db.session.scalar(select(func.count()).where(ArticleRevision.article_id == article_id))
    return (article.state, article.version, article.title_zh, article.review_on, article.published_at, revisions)


def test_an_agent_proposes_and_a_supervisor_publishes(factory: Factory) -> None:
    agent, supervisor = factory.agent.actor, factory.user("supervisor").actor
    article = propose_article(session=db.session, actor=agent, draft=draft(review_on=date(2030, 1, 1)))
    assert (article.state, article.review_on) == (ArticleState.DRAFT, None)  # an agent sets no review date
    assert search_ids(db.session, query="沙發").ids == []  # not for answering yet
    article = publish_article(
        session=db.session, actor=supervisor, article_id=article.id, version=article.version, today=TODAY
    )
    assert article.state is ArticleState.PUBLISHED and article.published_by_id == supervisor.user_id
    assert article.review_on == date(2027, 12, 1)  # a year on, when none was set
    assert search_ids(db.session, query="沙發").ids == [article.id]
    history = queries.revisions(db.session, article.id)
    assert [(r.number, r.action, r.actor_id) for r in history] == [
        (2, ArticleAction.PUBLISHED, supervisor.user_id),
        (1, ArticleAction.PROPOSED, agent.user_id),
    ]


def test_an_agent_cannot_publish_archive_or_set_a_review_date_and_nothing_changes(factory: Factory) -> None:
    agent = factory.agent.actor
    article = propose_article(session=db.session, actor=agent, draft=draft())
    before = _snapshot(article.id)
    for refused in (
        lambda: publish_article(session=db.session, actor=agent, article_id=article.id, version=1, today=TODAY),
        lambda: archive_article(session=db.session, actor=agent, article_id=article.id, version=1),
        lambda: set_review_date(
            session=db.session, actor=agent, article_id=article.id, version=1, review_on=date(2030, 1, 1), today=TODAY
        ),
    ):
        with pytest.raises(Forbidden):
            refused()
        assert _snapshot(article.id) == before


def test_an_agent_may_edit_a_draft_but_not_a_published_article(factory: Factory) -> None:
    agent, supervisor = factory.agent.actor, factory.user("supervisor").actor
    article = propose_article(session=db.session, actor=agent, draft=draft())
    article = edit_article(
        session=db.session, actor=agent, article_id=article.id, version=1, draft=draft(title_zh="舊家具清運")
    )
    assert (article.title_zh, article.version) == ("舊家具清運", 2)
    assert search_ids(db.session, query="舊家具", states={ArticleState.DRAFT}).ids == [article.id]
    article = publish_article(session=db.session, actor=supervisor, article_id=article.id, version=2, today=TODAY)
    before = _snapshot(article.id)
    with pytest.raises(Forbidden):
        edit_article(session=db.session, actor=agent, article_id=article.id, version=3, draft=draft(title_zh="改"))
    assert _snapshot(article.id) == before


def test_a_stale_version_is_refused_and_nothing_changes(factory: Factory) -> None:
    agent, supervisor = factory.agent.actor, factory.user("supervisor").actor
    article = propose_article(session=db.session, actor=agent, draft=draft())
    edit_article(session=db.session, actor=supervisor, article_id=article.id, version=1, draft=draft(body_zh="新內容"))
    before = _snapshot(article.id)
    with pytest.raises(Conflict) as refused:
        edit_article(session=db.session, actor=agent, article_id=article.id, version=1, draft=draft(title_zh="晚了"))
    assert refused.value.code == "article.stale_version"
    assert _snapshot(article.id) == before


def test_bad_input_is_refused_field_by_field_and_nothing_is_written(factory: Factory) -> None:
    with pytest.raises(InvalidInput) as refused:
        propose_article(
            session=db.session,
            actor=factory.agent.actor,
            draft=draft(title_zh=" ", body_zh="", agency_code="NOPE", tags=[f"t{n}" for n in range(20)]),
        )
    assert set(refused.value.fields) == {"title_zh", "body_zh", "agency", "tags"}
    assert db.session.scalar(select(func.count()).select_from(Article)) == 0


def test_archive_and_review_dates(factory: Factory) -> None:
    agent, supervisor = factory.agent.actor, factory.user("supervisor").actor
    article = propose_article(session=db.session, actor=agent, draft=draft())
    article = publish_article(session=db.session, actor=supervisor, article_id=article.id, version=1, today=TODAY)
    with pytest.raises(InvalidInput):
        set_review_date(
            session=db.session, actor=supervisor, article_id=article.id, version=2, review_on=TODAY, today=TODAY
        )
    article = set_review_date(
        session=db.session, actor=supervisor, article_id=article.id, version=2, review_on=date(2027, 3, 1), today=TODAY
    )
    article = archive_article(session=db.session, actor=supervisor, article_id=article.id, version=3)
    assert (article.state, article.review_on) == (ArticleState.ARCHIVED, date(2027, 3, 1))
    assert search_ids(db.session, query="沙發").ids == []
    with pytest.raises(Conflict):
        archive_article(session=db.session, actor=supervisor, article_id=article.id, version=4)
    actions = [r.action for r in queries.revisions(db.session, article.id)]
    assert actions == [
        ArticleAction.ARCHIVED,
        ArticleAction.REVIEW_SET,
        ArticleAction.PUBLISHED,
        ArticleAction.PROPOSED,
    ]


def test_revisions_are_append_only(factory: Factory) -> None:
    article = propose_article(session=db.session, actor=factory.agent.actor, draft=draft())
    for statement in ("UPDATE kb_article_revisions SET title_zh = 'x'", "DELETE FROM kb_article_revisions"):
        with pytest.raises(DatabaseError):
            db.session.execute(text(statement))
        db.session.rollback()
    assert len(queries.revisions(db.session, article.id)) == 1

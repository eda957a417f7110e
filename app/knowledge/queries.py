"""Reading the knowledge base: one article, its history, the tags in use, a page of search results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.errors import NotFound
from app.knowledge import search
from app.models import Article, ArticleRevision
from app.vocabulary import ArticleState


def get_article(session: Session, article_id: int) -> Article:
    article = session.get(
        Article,
        article_id,
        options=[
            selectinload(Article.created_by),
            selectinload(Article.updated_by),
            selectinload(Article.published_by),
        ],
    )
    if article is None:
        raise NotFound("article.not_found", article_id=article_id)
    return article


def revisions(session: Session, article_id: int) -> Sequence[ArticleRevision]:
    """Newest first, with who made each."""
    return session.scalars(
        select(ArticleRevision)
        .where(ArticleRevision.article_id == article_id)
        .options(selectinload(ArticleRevision.actor))
        .order_by(ArticleRevision.number.desc())
    ).all()


def revision(session: Session, article_id: int, number: int) -> ArticleRevision | None:
    return session.scalars(
        select(ArticleRevision).where(ArticleRevision.article_id == article_id, ArticleRevision.number == number)
    ).first()


def tags_in_use(session: Session, states: Collection[ArticleState]) -> list[str]:
    """Tags of the articles in these states, the most used first (for the tag filter)."""
    counts: Counter[str] = Counter()
    for tags in session.scalars(select(Article.tags).where(Article.state.in_(list(states)))):
        counts.update(tags)
    return [tag for tag, _count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def find_articles(
    session: Session, *, query: str, states: Collection[ArticleState], tag: str | None = None
) -> tuple[list[Article], int]:
    """A page of articles matching the query, best first, and how many matched in all."""
    found = search.search_ids(session, query=query, states=states, tag=tag)
    if not found.ids:
        return [], found.total
    rows = {article.id: article for article in session.scalars(select(Article).where(Article.id.in_(found.ids)))}
    return [rows[article_id] for article_id in found.ids if article_id in rows], found.total

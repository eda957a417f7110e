"""Writing the knowledge base: agents propose drafts, supervisors publish, archive and set review dates.

One service function, one transaction: the article, its revision (the audit trail) and its search
document change together. Every change carries the version the writer read; a stale one is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import Actor
from app.db import utcnow, write_transaction
from app.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from app.knowledge import search
from app.knowledge import text as kbtext
from app.models import Article, ArticleRevision
from app.models_knowledge import BODY_MAX, TAG_MAX, TITLE_MAX
from app.reference.lookups import active_agency
from app.vocabulary import ArticleAction, ArticleState, Role

WRITERS = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
PUBLISHERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
TAGS_MAX = 12
# A published article without a review date is checked again after a year.
DEFAULT_REVIEW = timedelta(days=365)


@dataclass(frozen=True)
class ArticleInput:
    """What the writer typed; the review date counts only when a supervisor writes."""

    title_zh: str
    body_zh: str
    title_en: str = ""
    body_en: str = ""
    tags: list[str] = field(default_factory=list)
    agency_code: str | None = None
    review_on: date | None = None


def propose_article(*, session: Session, actor: Actor, draft: ArticleInput, now: datetime | None = None) -> Article:
    """A new article, as a draft for a supervisor to publish."""
    _require(actor, WRITERS)
    agency_id = _check(session, draft)
    moment = now or utcnow()
    with write_transaction(session):
        article = Article(
            state=ArticleState.DRAFT,
            created_by_id=actor.user_id,
            created_at=moment,
            updated_by_id=actor.user_id,
            updated_at=moment,
        )
        _fill(article, draft, agency_id, actor)
        session.add(article)
        session.flush()
        _record(session, article, ArticleAction.PROPOSED, actor, moment)
    return article


def edit_article(
    *, session: Session, actor: Actor, article_id: int, version: int, draft: ArticleInput, now: datetime | None = None
) -> Article:
    """Change an article's words; an agent may change drafts only (a published text is a supervisor's)."""
    _require(actor, WRITERS)
    agency_id = _check(session, draft)
    moment = now or utcnow()
    with write_transaction(session):
        article = _locked(session, article_id, version)
        if not may_edit(actor, article):
            raise Forbidden("article.edit_forbidden", state=article.state.value)
        _fill(article, draft, agency_id, actor)
        _save(session, article, ArticleAction.EDITED, actor, moment)
    return article


def publish_article(
    *, session: Session, actor: Actor, article_id: int, version: int, today: date, now: datetime | None = None
) -> Article:
    """A supervisor publishes a draft (or an archived article again): agents may answer calls from it."""
    _require(actor, PUBLISHERS, N_("article.publish_forbidden"))
    moment = now or utcnow()
    with write_transaction(session):
        article = _locked(session, article_id, version)
        if article.state is ArticleState.PUBLISHED:
            raise Conflict("article.already_published")
        article.state = ArticleState.PUBLISHED
        article.published_by_id, article.published_at = actor.user_id, moment
        if article.review_on is None or article.review_on <= today:
            article.review_on = today + DEFAULT_REVIEW
        _save(session, article, ArticleAction.PUBLISHED, actor, moment)
    return article


def archive_article(
    *, session: Session, actor: Actor, article_id: int, version: int, now: datetime | None = None
) -> Article:
    """A supervisor withdraws an article: it is no longer answered from, and kept with its history."""
    _require(actor, PUBLISHERS, N_("article.archive_forbidden"))
    moment = now or utcnow()
    with write_transaction(session):
        article = _locked(session, article_id, version)
        if article.state is ArticleState.ARCHIVED:
            raise Conflict("article.already_archived")
        article.state = ArticleState.ARCHIVED
        _save(session, article, ArticleAction.ARCHIVED, actor, moment)
    return article


def set_review_date(
    *,
    session: Session,
    actor: Actor,
    article_id: int,
    version: int,
    review_on: date | None,
    today: date,
    now: datetime | None = None,
) -> Article:
    """A supervisor sets the date by which the article must be checked again (not in the past)."""
    _require(actor, PUBLISHERS, N_("article.review_forbidden"))
    if review_on is None:
        raise InvalidInput("validation.failed", fields={"review_on": [N_("field.required")]})
    if review_on <= today:
        raise InvalidInput("validation.failed", fields={"review_on": [N_("article.review_in_past")]})
    moment = now or utcnow()
    with write_transaction(session):
        article = _locked(session, article_id, version)
        article.review_on = review_on
        _save(session, article, ArticleAction.REVIEW_SET, actor, moment)
    return article


def may_publish(actor: Actor) -> bool:
    """Supervisors and administrators publish, archive, set review dates and edit published texts."""
    return actor.role in PUBLISHERS


def may_edit(actor: Actor, article: Article) -> bool:
    """An agent may change drafts only (a published or archived text is a supervisor's)."""
    return may_publish(actor) or article.state is ArticleState.DRAFT


def _require(actor: Actor, roles: frozenset[Role], code: str = "auth.forbidden") -> None:
    if actor.role not in roles or actor.user_id is None:
        raise Forbidden(code, role=actor.role.value)


def _check(session: Session, draft: ArticleInput) -> int | None:
    """Refuse what cannot be saved, every field at once; the owning agency's id."""
    problems: dict[str, list[str]] = {}
    for name, value, limit, required in (
        ("title_zh", draft.title_zh, TITLE_MAX, True),
        ("title_en", draft.title_en, TITLE_MAX, False),
        ("body_zh", draft.body_zh, BODY_MAX, True),
        ("body_en", draft.body_en, BODY_MAX, False),
    ):
        if required and not value.strip():
            problems[name] = [N_("field.required")]
        elif len(value) > limit:
            problems[name] = [N_("article.too_long")]
    tags = kbtext.clean_tags(draft.tags)
    if len(tags) > TAGS_MAX or any(len(tag) > TAG_MAX for tag in tags):
        problems["tags"] = [N_("article.tags_too_many")]
    agency_id = None
    if draft.agency_code:
        try:
            agency_id = active_agency(session, draft.agency_code, field="agency").id
        except InvalidInput as refused:
            problems.update(refused.fields)
    if problems:
        raise InvalidInput("validation.failed", fields=problems)
    return agency_id


def _fill(article: Article, draft: ArticleInput, agency_id: int | None, actor: Actor) -> None:
    article.title_zh, article.title_en = draft.title_zh.strip(), draft.title_en.strip()
    article.body_zh, article.body_en = draft.body_zh.strip(), draft.body_en.strip()
    article.tags = kbtext.clean_tags(draft.tags)
    article.agency_id = agency_id
    if actor.role in PUBLISHERS and draft.review_on is not None:
        article.review_on = draft.review_on


def _locked(session: Session, article_id: int, version: int) -> Article:
    # OF kb_articles: PostgreSQL refuses to lock the outer-joined agency row the relationship loads with it.
    article = session.scalars(select(Article).where(Article.id == article_id).with_for_update(of=Article)).first()
    if article is None:
        raise NotFound("article.not_found", article_id=article_id)
    if article.version != version:
        raise Conflict("article.stale_version", current=article.version)
    return article


def _save(session: Session, article: Article, action: ArticleAction, actor: Actor, moment: datetime) -> None:
    """A change to an existing article: who and when, then its revision and search document."""
    article.updated_by_id, article.updated_at = actor.user_id, moment
    session.flush()
    _record(session, article, action, actor, moment)


def _record(session: Session, article: Article, action: ArticleAction, actor: Actor | None, moment: datetime) -> None:
    """The revision (the article as it now stands) and the search document, in the same transaction."""
    session.add(
        ArticleRevision(
            article_id=article.id,
            number=article.version,
            action=action,
            actor_id=actor.user_id if actor else None,
            at=moment,
            state=article.state,
            title_zh=article.title_zh,
            title_en=article.title_en,
            body_zh=article.body_zh,
            body_en=article.body_en,
            tags=list(article.tags),
            agency_id=article.agency_id,
            review_on=article.review_on,
        )
    )
    search.index_article(session, article)

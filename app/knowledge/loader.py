"""`flask knowledge load FILE`: illustrative or real articles from a YAML file, published, safe to run again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow, write_transaction
from app.knowledge import search
from app.knowledge import text as kbtext
from app.models import Article, ArticleRevision
from app.reference.cache import reference_cache
from app.reference.files import LINE_KEY, ReferenceFileError, load_entries
from app.vocabulary import ArticleAction, ArticleState

FIELDS = ("title_zh", "title_en", "body_zh", "body_en")


@dataclass(frozen=True)
class LoadReport:
    added: int
    changed: int
    unchanged: int

    def summary(self) -> str:
        return f"{self.added} added, {self.changed} changed, {self.unchanged} unchanged"


def load_articles(*, session: Session, path: Path, now: datetime | None = None) -> LoadReport:
    """Each entry (by its `slug`) is added or brought up to date and published, all in one transaction."""
    entries = load_entries(path, "articles")
    agencies = reference_cache.snapshot(session).agencies
    moment = now or utcnow()
    added = changed = unchanged = 0
    with write_transaction(session):
        for entry in entries:
            values = _values(path, entry, agencies)
            article = session.scalars(select(Article).where(Article.slug == values["slug"])).first()
            if article is not None and all(getattr(article, name) == value for name, value in values.items()):
                unchanged += 1
                continue
            if article is None:
                article = Article(created_at=moment, **values)
                session.add(article)
                added += 1
            else:
                for name, value in values.items():
                    setattr(article, name, value)
                changed += 1
            article.state = ArticleState.PUBLISHED
            article.updated_at = article.published_at = moment
            session.flush()
            session.add(
                ArticleRevision(
                    article_id=article.id,
                    number=article.version,
                    action=ArticleAction.LOADED,
                    at=moment,
                    state=article.state,
                    **{name: getattr(article, name) for name in (*FIELDS, "tags", "agency_id", "review_on")},
                )
            )
            search.index_article(session, article)
    return LoadReport(added=added, changed=changed, unchanged=unchanged)


def _values(path: Path, entry: dict[str, Any], agencies: dict[str, Any]) -> dict[str, Any]:
    where = f"{path}:{entry.get(LINE_KEY)}"
    missing = [name for name in ("slug", "title_zh", "body_zh") if not str(entry.get(name) or "").strip()]
    if missing:
        raise ReferenceFileError(f"{where}: missing {', '.join(missing)}")
    agency = entry.get("agency")
    if agency is not None and agency not in agencies:
        raise ReferenceFileError(f"{where}: unknown agency {agency!r} (see agencies.yaml)")
    review_on = entry.get("review_on")
    if review_on is not None and not isinstance(review_on, date):
        raise ReferenceFileError(f"{where}: review_on must be a date, e.g. 2027-06-30")
    return {
        "slug": str(entry["slug"]),
        **{name: str(entry.get(name) or "").strip() for name in FIELDS},
        "tags": kbtext.clean_tags(list(entry.get("tags") or [])),
        "agency_id": agencies[agency].id if agency else None,
        "review_on": review_on,
    }

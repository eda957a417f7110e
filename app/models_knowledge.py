"""The knowledge base's tables: articles and their revisions (re-exported by app.models)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Date, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, BigId, UTCDateTime, utcnow
from app.vocabulary import ArticleAction, ArticleState

if TYPE_CHECKING:
    from app.models import Agency, User

TITLE_MAX = 200
BODY_MAX = 20000
TAG_MAX = 40


def _state(name: str, values: type[ArticleState] | type[ArticleAction]) -> Enum:
    # Plain strings with a CHECK, as in app.models: adding a value is a small migration.
    return Enum(values, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Article(Base):
    """A knowledge-base article in zh-TW and English; agents answer consultations from published ones."""

    __tablename__ = "kb_articles"
    __table_args__ = (Index("ix_kb_articles_state_updated_at", "state", "updated_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str | None] = mapped_column(String(80), unique=True)  # set by `flask knowledge load`
    state: Mapped[ArticleState] = mapped_column(_state("article_state", ArticleState))
    title_zh: Mapped[str] = mapped_column(String(TITLE_MAX))
    title_en: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    review_on: Mapped[date | None] = mapped_column(Date)  # check it again by then; flagged once past
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read once by the mapper

    agency: Mapped[Agency | None] = relationship("Agency", lazy="joined")
    created_by: Mapped[User | None] = relationship("User", foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship("User", foreign_keys=[updated_by_id])
    published_by: Mapped[User | None] = relationship("User", foreign_keys=[published_by_id])


class ArticleRevision(Base):
    """The article as it stood after one change, who made it and why. Append-only (database triggers)."""

    __tablename__ = "kb_article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"))
    number: Mapped[int] = mapped_column(Integer)  # the article's version after the change
    action: Mapped[ArticleAction] = mapped_column(_state("article_action", ArticleAction))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[ArticleState] = mapped_column(_state("article_state", ArticleState))
    title_zh: Mapped[str] = mapped_column(String(TITLE_MAX))
    title_en: Mapped[str] = mapped_column(String(TITLE_MAX))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON)
    agency_id: Mapped[int | None] = mapped_column(Integer)
    review_on: Mapped[date | None] = mapped_column(Date)

    actor: Mapped[User | None] = relationship("User")

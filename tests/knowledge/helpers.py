"""Articles built through the real service functions."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.access import Actor
from app.db import db
from app.knowledge.service import ArticleInput, propose_article, publish_article
from app.models import Article

TODAY = date(2026, 12, 1)


def draft(**overrides: Any) -> ArticleInput:
    fields: dict[str, Any] = {
        "title_zh": "大型廢棄物預約清運",
        "title_en": "Booking a bulky-waste pickup",
        "body_zh": "舊沙發、床墊請向清潔隊預約，免費清運。",
        "body_en": "Old sofas and mattresses are collected free of charge by appointment.",
        "tags": ["垃圾", "清潔隊"],
        "agency_code": "EPB",
    }
    fields.update(overrides)
    return ArticleInput(**fields)


def published(writer: Actor, supervisor: Actor, **overrides: Any) -> Article:
    """An article an agent proposed and a supervisor published."""
    article = propose_article(session=db.session, actor=writer, draft=draft(**overrides))
    return publish_article(
        session=db.session, actor=supervisor, article_id=article.id, version=article.version, today=TODAY
    )

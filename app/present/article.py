"""A knowledge-base article, its revisions, and the call it may answer, as the pages show them."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from app import phones
from app.models import Article, ArticleRevision, Call
from app.present import audience
from app.present.audience import View
from app.present.times import roc_datetime, roc_day
from app.reference.names import ReferenceNames


def review_overdue(review_on: date | None, today: date) -> bool:
    """Past its review date: the article may be out of date, and the pages say so."""
    return review_on is not None and review_on < today


def article_view(
    article: Article, *, view: View, english: bool, names: ReferenceNames, tz: ZoneInfo, today: date
) -> dict[str, Any]:
    """The article in the reader's language first (zh-TW when it has no English yet), the other one beside it."""
    own_title, own_body = (article.title_en, article.body_en) if english else (article.title_zh, article.body_zh)
    other_title, other_body = (article.title_zh, article.body_zh) if english else (article.title_en, article.body_en)
    fallback = not own_title or not own_body
    agency = names.agencies.get(article.agency_id) if article.agency_id is not None else None
    return {
        "id": article.id,
        "version": article.version,
        "state": article.state.value,
        "title": own_title or article.title_zh,
        "body": audience.text(own_body or article.body_zh, view),
        "other_title": other_title if not fallback else "",
        "other_body": audience.text(other_body, view) if not fallback else "",
        "other_lang": "zh-Hant-TW" if english else "en",
        "lang": ("zh-Hant-TW" if fallback else "en") if english else "zh-Hant-TW",
        "missing_translation": fallback and english,
        "tags": list(article.tags),
        "agency": (agency.name_en if english else agency.name_zh) if agency else "",
        "review_on": roc_day(article.review_on),
        "review_overdue": review_overdue(article.review_on, today),
        "created_by": article.created_by.username if article.created_by else "",
        "created_at": roc_datetime(article.created_at, tz),
        "updated_by": article.updated_by.username if article.updated_by else "",
        "updated_at": roc_datetime(article.updated_at, tz),
        "published_by": article.published_by.username if article.published_by else "",
        "published_at": roc_datetime(article.published_at, tz),
    }


def excerpt(body: str, length: int = 90) -> str:
    """The start of the body on one line, for a list of results."""
    line = " ".join(body.split())
    return line if len(line) <= length else line[: length - 1] + "…"


def revision_view(revision: ArticleRevision, *, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "number": revision.number,
        "action": revision.action.value,
        "actor": revision.actor.username if revision.actor else "",
        "at": roc_datetime(revision.at, tz),
        "state": revision.state.value,
    }


def changed_fields(before: ArticleRevision | None, after: Article) -> list[str]:
    """Which of the article's fields differ from a revision (what someone else changed meanwhile)."""
    if before is None:
        return []
    fields = ("title_zh", "title_en", "body_zh", "body_en", "tags", "agency_id", "review_on", "state")
    return [name for name in fields if getattr(before, name) != getattr(after, name)]


def call_view(call: Call, *, view: View, tz: ZoneInfo) -> dict[str, Any]:
    """The call in progress that an article may answer: who is calling (as written in Taiwan), since when."""
    caller = call.caller_phone
    if caller and view is View.STAFF:
        caller = phonenumbers.format_number(phonenumbers.parse(caller), phonenumbers.PhoneNumberFormat.NATIONAL)
    elif caller:
        caller = phones.mask(caller)
    return {
        "id": call.id,
        "caller": caller or call.caller_as_given or "",
        "withheld": not caller and not call.caller_as_given,
        "started_at": roc_datetime(call.started_at, tz),
    }

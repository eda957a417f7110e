"""Ordering the articles a search found: title hits above tag hits above body hits. Pure.

The index says which articles contain every term somewhere; this says which come first. A term in
the title is worth most (the title is what the agent reads to choose), then a tag, then the body.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from app.vocabulary import ArticleState

TITLE_WEIGHT = 100
TAG_WEIGHT = 10
BODY_WEIGHT = 1
# What an agent answering a call may answer from.
ANSWERABLE = frozenset({ArticleState.PUBLISHED})


@dataclass(frozen=True)
class Hit:
    """An article the index found, with its normalised title (both languages) and tag field."""

    article_id: int
    title: str
    tags: str
    state: ArticleState
    updated_at: datetime


def score(hit: Hit, terms: Iterable[str]) -> int:
    """The sum over terms of where each was found (the index already found each one somewhere)."""
    total = 0
    for term in terms:
        if term in hit.title:
            total += TITLE_WEIGHT
        elif term in hit.tags:
            total += TAG_WEIGHT
        else:
            total += BODY_WEIGHT
    return total


def rank(hits: Iterable[Hit], terms: Collection[str], states: Collection[ArticleState] = ANSWERABLE) -> list[Hit]:
    """The hits in `states`, best first: higher score, then the more recently updated, then the newer id."""
    shown = [hit for hit in hits if hit.state in states]
    return sorted(shown, key=lambda hit: (-score(hit, terms), -hit.updated_at.timestamp(), -hit.article_id))

"""Ordering the articles a search found: title hits above tag hits above body hits. Pure.

The index says which articles contain every term somewhere; this says which come first. A term in
the title is worth most (the title is what the agent reads to choose), then a tag, then the body.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

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
    """The hits in `states`, higher score first; equal scores keep the order given (the search gives the
    most recently updated first, so the database sorts the dates and Python never converts them)."""
    shown = [hit for hit in hits if hit.state in states]
    return sorted(shown, key=lambda hit: -score(hit, terms))

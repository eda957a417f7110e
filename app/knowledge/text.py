"""How article text and queries are compared: one normal form for both. Pure.

The case search's (app.cases.textgrams.normalise_text): NFKC folds full-width forms (ＡＴＭ, ３０) into
half-width, lower case folds Latin letters, and 臺 is written 台 (臺北/台北), so either finds the other.
"""

from __future__ import annotations

from app.cases import textgrams

TAG_SEPARATOR = "|"


def normalise(text: str) -> str:
    """The form the index holds and a query is looked up in."""
    return textgrams.normalise_text(text)


def terms(query: str) -> list[str]:
    """The query's whitespace-separated terms, normalised, without repeats; every one must match."""
    seen: dict[str, None] = {}
    for term in normalise(query).split():
        seen.setdefault(term, None)
    return list(seen)


def short_grams(text: str) -> list[str]:
    """The 1- and 2-character grams of the normalised text (for queries trigrams cannot answer)."""
    return textgrams.short_grams(normalise(text))


def is_gram_query(term: str) -> bool:
    return textgrams.is_gram_query(term)


def tag_field(tags: list[str]) -> str:
    """Tags as one string, "|路樹|tree|", so that one tag is found by "%|tag|%"."""
    return TAG_SEPARATOR + TAG_SEPARATOR.join(normalise(tag) for tag in tags) + TAG_SEPARATOR if tags else ""


def clean_tags(raw: str | list[str]) -> list[str]:
    """Tags as typed ("路樹, 颱風、tree") → distinct, trimmed, in order; separators: comma, 、, ，, newline."""
    if isinstance(raw, str):
        for separator in ("，", "、", "\n", ";", "；"):
            raw = raw.replace(separator, ",")
        raw = raw.split(",")
    seen: dict[str, None] = {}
    for tag in raw:
        cleaned = " ".join(tag.replace(TAG_SEPARATOR, " ").split())
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)

"""Short n-grams for 1–2 character queries, which trigram indexes cannot answer. Pure."""

from __future__ import annotations

import unicodedata


def normalise_text(text: str) -> str:
    """Full-width to half-width, lower case: what both the index and the query go through."""
    return unicodedata.normalize("NFKC", text).lower()


def _runs(text: str) -> list[str]:
    runs: list[str] = []
    current: list[str] = []
    for char in normalise_text(text):
        if char.isalnum():
            current.append(char)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def short_grams(text: str) -> list[str]:
    """Every distinct 1- and 2-character substring within runs of letters and digits."""
    grams: dict[str, None] = {}
    for run in _runs(text):
        for index, char in enumerate(run):
            grams.setdefault(char, None)
            if index + 1 < len(run):
                grams.setdefault(run[index : index + 2], None)
    return list(grams)


def is_gram_query(term: str) -> bool:
    """True when a term is 1–2 letters or digits, answered from the gram index."""
    normalised = normalise_text(term)
    return 1 <= len(normalised) <= 2 and normalised.isalnum()

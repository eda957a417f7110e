"""Text a database can store: NUL and lone surrogates are refused once, wherever text comes in."""

from __future__ import annotations

from collections.abc import Iterable


def storable_text_problem(value: str) -> str | None:
    """Why a string cannot be stored as text (NUL, lone surrogates), or None."""
    if "\x00" in value:
        return "Must not contain the NUL character."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Not valid Unicode text."
    return None


def first_unstorable(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The name of the first field (name or value) that cannot be stored, or None."""
    for name, value in pairs:
        if storable_text_problem(name) or storable_text_problem(value):
            return name if storable_text_problem(name) is None else repr(name)
    return None

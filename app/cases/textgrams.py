"""How text is matched, for the case and the knowledge search alike: one normal form, short n-grams for 1–2
character queries (which trigram indexes cannot answer), and a term as a LIKE pattern or an FTS5 phrase. Pure."""

from __future__ import annotations

import re
import unicodedata

# 臺 and 台 are the same character to a reader (臺北, 台北; 臺灣大道, 台灣大道): one form in the index.
_VARIANTS = str.maketrans({"臺": "台"})


def normalise_text(text: str) -> str:
    """NFKC (full-width to half-width), lower case, 臺 -> 台: what both the index and every query go through."""
    return unicodedata.normalize("NFKC", text).lower().translate(_VARIANTS)


# Runs of letters and digits: \w is exactly str.isalnum() plus the underscore.
_RUN = re.compile(r"[^\W_]+")


def _runs(text: str) -> list[str]:
    return _RUN.findall(normalise_text(text))


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


def like_pattern(term: str) -> str:
    """%term% for `LIKE ... ESCAPE '\\'`, its own %, _ and backslashes matched literally."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def fts_phrase(term: str) -> str:
    """The term as one FTS5 phrase (its double quotes doubled), so that no character is read as syntax."""
    return '"' + term.replace('"', '""') + '"'

"""Text search over cases: trigram indexes for 3+ characters, a gram index for 1–2.

SQLite uses FTS5 (trigram tokenizer, kept in step by triggers) and a contentless FTS5
table of short grams; PostgreSQL uses pg_trgm GIN indexes and a text[] of short grams.
Both are created by the migrations; this module is the only code that knows them.

Why the prefetch (PostgreSQL): an index tells which cases match, not which are newest.
For a rare term we fetch every match from the index (at most PREFETCH_CAP) and let the
primary key order them; for a common one the newest 50 matches are found at once by
walking the primary key backwards. Leaving that choice to the planner went wrong both
ways (seconds for a rare gram whose frequency it overestimated).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import ColumnElement, TextClause, and_, text
from sqlalchemy.orm import Session

from app import phones
from app.cases import textgrams
from app.models import Case

PREFETCH_CAP = 1000


def search_text(description: str, address: str | None) -> str:
    """What the indexes hold of a case (`cases.search_text`): description and address normalised as queries
    are (NFKC, lower case, 臺 -> 台), with every phone number masked, so that digits a masked view cannot
    see cannot be found by searching for them either. Callers are found by `reporter_phone`."""
    return textgrams.normalise_text(phones.mask_in_text(f"{description} {address or ''}"))


# Grams are runs of letters and digits, never a space: one string, split by PostgreSQL into its text[] (psycopg
# dumping a list of ~60 strings cost more than the rest of the statement).
_INDEX_CASE = {
    "postgresql": text("INSERT INTO case_search_grams (case_id, grams) VALUES (:id, string_to_array(:grams, ' '))"),
    "sqlite": text("INSERT INTO case_grams (rowid, grams) VALUES (:id, :grams)"),
}


def grams_of(case: Case) -> str:
    """The case's short grams, as the gram index takes them: one string, separated by spaces."""
    return " ".join(textgrams.short_grams(case.search_text))


def index_case(session: Session, case: Case) -> None:
    """Record the case's short grams; call once the case has its id (and its search_text)."""
    connection = session.connection()
    connection.execute(_INDEX_CASE[connection.dialect.name], {"id": case.id, "grams": grams_of(case)})


def _index_lookup(dialect: str, term: str) -> TextClause | None:
    """SQL selecting the ids of cases containing `term` through an index (bind :term), or None."""
    if textgrams.is_gram_query(term):
        if dialect == "postgresql":
            return text("SELECT case_id AS id FROM case_search_grams WHERE grams @> ARRAY[:term]::text[]")
        return text("SELECT rowid AS id FROM case_grams WHERE case_grams MATCH :term")
    if len(term) < 3:
        return None
    if dialect == "postgresql":
        return text("SELECT id FROM cases WHERE search_text LIKE :term ESCAPE '\\'")
    return text("SELECT rowid AS id FROM case_fts WHERE case_fts MATCH :term")


def _bound_term(dialect: str, term: str) -> str:
    if textgrams.is_gram_query(term):
        return term if dialect == "postgresql" else textgrams.fts_phrase(term)
    return textgrams.like_pattern(term) if dialect == "postgresql" else textgrams.fts_phrase(term)


def prefetch_ids(session: Session, term: str) -> Sequence[int] | None:
    """Every case id containing `term` if there are at most PREFETCH_CAP of them, else None."""
    dialect = session.get_bind().dialect.name
    selects: list[str] = []
    params: dict[str, object] = {"cap": PREFETCH_CAP + 1}
    lookup = _index_lookup(dialect, term)
    if lookup is None:
        return None
    selects.append(lookup.text)
    params["term"] = _bound_term(dialect, term)
    # MATERIALIZED keeps PostgreSQL from folding the LIMIT into the index choice.
    capped = text(f"WITH matches AS MATERIALIZED ({' UNION '.join(selects)}) SELECT id FROM matches LIMIT :cap")
    ids = session.scalars(capped, params).all()
    return None if len(ids) > PREFETCH_CAP else sorted(ids)


def _term_condition(dialect: str, term: str, name: str) -> ColumnElement[bool]:
    lookup = _index_lookup(dialect, term)
    if lookup is None:
        # 1–2 symbols have no index to use and are answered by a scan.
        return Case.search_text.like(textgrams.like_pattern(term), escape="\\")
    subquery = text(lookup.text.replace(":term", f":{name}")).bindparams(**{name: _bound_term(dialect, term)})
    return Case.id.in_(subquery)


@dataclass(frozen=True)
class TextMatch:
    condition: ColumnElement[bool]
    # True when every term is common: walking the newest cases first finds a page at once.
    walk_newest_first: bool


def match_all_terms(session: Session, query: str) -> TextMatch:
    """Cases containing every whitespace-separated term of the query, however they are best found."""
    terms = textgrams.normalise_text(query).split()  # the same normalisation as the index's
    dialect = session.get_bind().dialect.name
    conditions = [_term_condition(dialect, term, f"term_{index}") for index, term in enumerate(terms)]
    if dialect == "postgresql":
        # SQLite's FTS5 hands rowids over newest first by itself; PostgreSQL needs the prefetch.
        # One rare term is enough: the others are checked on its few rows. Longer terms are
        # likelier to be rare, so they are tried first. (INTERSECTing the terms' full match
        # sets in one query was measured at 600 ms for two common terms.)
        for term in sorted(terms, key=len, reverse=True):
            ids = prefetch_ids(session, term)
            if ids is not None:
                return TextMatch(and_(Case.id.in_(ids), *conditions), walk_newest_first=False)
    return TextMatch(and_(*conditions), walk_newest_first=True)


@contextmanager
def newest_first_plan(session: Session, text_match: TextMatch | None) -> Iterator[None]:
    """For common terms, have PostgreSQL walk the primary key backwards rather than collect
    every match through a bitmap and sort them, which its estimates often choose."""
    hint = text_match is not None and text_match.walk_newest_first and session.get_bind().dialect.name == "postgresql"
    if hint:
        session.execute(text("SET LOCAL enable_bitmapscan = off"))
    try:
        yield
    finally:
        if hint:
            session.execute(text("SET LOCAL enable_bitmapscan = on"))

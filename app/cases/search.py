"""Text search over cases: trigram indexes for 3+ characters, a gram index for 1–2.

SQLite uses FTS5 (trigram tokenizer, kept in step by triggers) and a contentless FTS5
table of short grams; PostgreSQL uses pg_trgm GIN indexes and a text[] of short grams.
Both tables are created by the migrations; this module is the only code that knows them.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, text
from sqlalchemy.orm import Session

from app.cases import textgrams
from app.models import Case


def index_case(session: Session, case: Case) -> None:
    """Record the case's short grams; call once the case has its id."""
    grams = textgrams.short_grams(f"{case.description} {case.address or ''}")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("INSERT INTO case_search_grams (case_id, grams) VALUES (:id, :grams)"),
            {"id": case.id, "grams": grams},
        )
    else:
        session.execute(
            text("INSERT INTO case_grams (rowid, grams) VALUES (:id, :grams)"),
            {"id": case.id, "grams": " ".join(grams)},
        )


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_condition(dialect: str, term: str) -> ColumnElement[bool]:
    """A WHERE condition matching cases whose description or address contains `term`."""
    normalised = textgrams.normalise_text(term)
    if textgrams.is_gram_query(normalised):
        if dialect == "postgresql":
            subquery = text("SELECT case_id FROM case_search_grams WHERE grams @> ARRAY[:gram]::text[]")
        else:
            subquery = text("SELECT rowid FROM case_grams WHERE case_grams MATCH :gram")
            normalised = _fts_phrase(normalised)
        return Case.id.in_(subquery.bindparams(gram=normalised))
    if len(normalised) < 3:
        # One or two punctuation marks or symbols: no index can help; a bounded scan answers.
        pattern = _like_pattern(term)
        return or_(Case.description.like(pattern, escape="\\"), Case.address.like(pattern, escape="\\"))
    if dialect == "postgresql":
        pattern = _like_pattern(term)
        return or_(Case.description.ilike(pattern, escape="\\"), Case.address.ilike(pattern, escape="\\"))
    subquery = text("SELECT rowid FROM case_fts WHERE case_fts MATCH :phrase").bindparams(phrase=_fts_phrase(term))
    return Case.id.in_(subquery)


def all_terms_condition(dialect: str, query: str) -> ColumnElement[bool]:
    """Every whitespace-separated term must match (AND)."""
    terms = [term for term in query.split() if term]
    return and_(*(text_condition(dialect, term) for term in terms))

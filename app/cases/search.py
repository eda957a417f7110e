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


def _term_condition(dialect: str, term: str, name: str) -> ColumnElement[bool]:
    """Cases whose description or address contains `term`; `name` keeps bind parameters apart."""
    if textgrams.is_gram_query(term):
        gram = textgrams.normalise_text(term)
        if dialect == "postgresql":
            subquery = text(f"SELECT case_id FROM case_search_grams WHERE grams @> ARRAY[:{name}]::text[]")
            return Case.id.in_(subquery.bindparams(**{name: gram}))
        subquery = text(f"SELECT rowid FROM case_grams WHERE case_grams MATCH :{name}")
        return Case.id.in_(subquery.bindparams(**{name: _fts_phrase(gram)}))
    if len(term) < 3 or dialect == "postgresql":
        # 1–2 symbols have no index to use and are answered by a scan; PostgreSQL's
        # pg_trgm GIN indexes answer ILIKE for 3+ characters.
        pattern = _like_pattern(term)
        return or_(Case.description.ilike(pattern, escape="\\"), Case.address.ilike(pattern, escape="\\"))
    subquery = text(f"SELECT rowid FROM case_fts WHERE case_fts MATCH :{name}")
    return Case.id.in_(subquery.bindparams(**{name: _fts_phrase(term)}))


def text_condition(dialect: str, term: str, name: str = "term") -> ColumnElement[bool]:
    """Match the term as typed and, if different, in half-width form (Ｏ→O, ３→3)."""
    normalised = textgrams.normalise_text(term)
    condition = _term_condition(dialect, term, name)
    if normalised != term.lower() and not textgrams.is_gram_query(term):
        condition = or_(condition, _term_condition(dialect, normalised, f"{name}_nfkc"))
    return condition


def all_terms_condition(dialect: str, query: str) -> ColumnElement[bool]:
    """Every whitespace-separated term must match (AND)."""
    terms = [term for term in query.split() if term]
    return and_(*(text_condition(dialect, term, f"term_{index}") for index, term in enumerate(terms)))

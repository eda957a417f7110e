"""Finding articles by Chinese or English text: trigram indexes for 3+ characters, a gram index for 1–2.

The same approach as the case search (app/cases/search.py), over one normalised document per
article (titles, tags and bodies in both languages; app.knowledge.text): SQLite FTS5 with the
trigram tokenizer plus an FTS5 table of 1–2 character grams; PostgreSQL pg_trgm GIN on the
document plus a GIN text[] of grams. 5,000 articles are few enough that every match of every
term is fetched (ids, titles and tags only) and ranked in Python (app.knowledge.ranking).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Integer, String, Text, bindparam, text
from sqlalchemy.orm import Session

from app.db import UTCDateTime
from app.knowledge import ranking
from app.knowledge import text as kbtext
from app.models import Article
from app.vocabulary import ArticleState

PAGE_SIZE = 50


def index_article(session: Session, article: Article) -> None:
    """(Re)write the article's search document; call inside the transaction that changed it."""
    title = kbtext.normalise(f"{article.title_zh} {article.title_en}")
    tags = kbtext.tag_field(list(article.tags))
    document = kbtext.normalise(
        f"{article.title_zh}\n{article.title_en}\n{' '.join(article.tags)}\n{article.body_zh}\n{article.body_en}"
    )
    grams = kbtext.short_grams(document)
    values = {"id": article.id, "title": title, "tags": tags, "document": document}
    session.execute(text("DELETE FROM kb_search_docs WHERE article_id = :id"), {"id": article.id})
    if _dialect(session) == "postgresql":
        session.execute(
            text(
                "INSERT INTO kb_search_docs (article_id, title, tags, document, grams) "
                "VALUES (:id, :title, :tags, :document, :grams)"
            ),
            {**values, "grams": grams},
        )
        return
    session.execute(
        text("INSERT INTO kb_search_docs (article_id, title, tags, document) VALUES (:id, :title, :tags, :document)"),
        values,
    )
    for table, column, value in (("kb_fts", "document", document), ("kb_grams", "grams", " ".join(grams))):
        session.execute(text(f"DELETE FROM {table} WHERE rowid = :id"), {"id": article.id})
        session.execute(
            text(f"INSERT INTO {table} (rowid, {column}) VALUES (:id, :value)"), {"id": article.id, "value": value}
        )


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _term_lookup(dialect: str, term: str, name: str) -> tuple[str, object]:
    """SQL selecting the ids of documents containing the (normalised) term, and its bound value."""
    if kbtext.is_gram_query(term):
        if dialect == "postgresql":
            return f"SELECT article_id FROM kb_search_docs WHERE grams @> ARRAY[:{name}]::text[]", term
        return f"SELECT rowid FROM kb_grams WHERE kb_grams MATCH :{name}", '"' + term + '"'
    if len(term) >= 3:
        if dialect == "postgresql":
            return f"SELECT article_id FROM kb_search_docs WHERE document LIKE :{name} ESCAPE '\\'", _like(term)
        return f"SELECT rowid FROM kb_fts WHERE kb_fts MATCH :{name}", '"' + term.replace('"', '""') + '"'
    # One or two symbols (「」, ㄅㄆ are not letters): no index, a scan of 5,000 short rows.
    return f"SELECT article_id FROM kb_search_docs WHERE document LIKE :{name} ESCAPE '\\'", _like(term)


@dataclass(frozen=True)
class Found:
    """One page of ranked article ids and how many matched in all."""

    ids: list[int]
    total: int


def search_ids(
    session: Session,
    *,
    query: str,
    states: Collection[ArticleState] = ranking.ANSWERABLE,
    tag: str | None = None,
    limit: int = PAGE_SIZE,
) -> Found:
    """Articles in `states` containing every term of the query (and the tag, if given), best first.

    An empty query lists them all, most recently updated first.
    """
    terms = kbtext.terms(query)
    dialect = _dialect(session)
    conditions = ["a.state IN :states"]
    params: dict[str, object] = {"states": tuple(state.value for state in states)}
    for index, term in enumerate(terms):
        sql, value = _term_lookup(dialect, term, f"term_{index}")
        conditions.append(f"d.article_id IN ({sql})")
        params[f"term_{index}"] = value
    if tag:
        conditions.append("d.tags LIKE :tag ESCAPE '\\'")
        params["tag"] = _like(kbtext.TAG_SEPARATOR + kbtext.normalise(tag.strip()) + kbtext.TAG_SEPARATOR)
    statement = text(
        "SELECT d.article_id, d.title, d.tags, a.state, a.updated_at FROM kb_search_docs d "
        f"JOIN kb_articles a ON a.id = d.article_id WHERE {' AND '.join(conditions)}"
    ).bindparams(bindparam("states", expanding=True))
    typed = statement.columns(article_id=Integer(), title=Text(), tags=Text(), state=String(), updated_at=UTCDateTime())
    hits = [
        ranking.Hit(article_id=row[0], title=row[1], tags=row[2], state=ArticleState(row[3]), updated_at=row[4])
        for row in session.execute(typed, params).all()
    ]
    ranked = ranking.rank(hits, terms, states)
    return Found(ids=[hit.article_id for hit in ranked[:limit]], total=len(ranked))

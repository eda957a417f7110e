"""Finding articles by Chinese or English text: trigram indexes for 3+ characters, a gram index for 1–2.

The same approach as the case search (app/cases/search.py), over one normalised document per
article (titles, tags and bodies in both languages; app.knowledge.text): SQLite FTS5 with the
trigram tokenizer plus an FTS5 table of 1–2 character grams; PostgreSQL pg_trgm GIN on the
document plus a GIN text[] of grams. 5,000 articles are few enough that every match of every
term is fetched (ids, titles and tags only) and ranked in Python (app.knowledge.ranking).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from app.cases.textgrams import fts_phrase, like_pattern
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


def _term_lookup(dialect: str, term: str, name: str) -> tuple[str, object]:
    """SQL selecting the ids of documents containing the (normalised) term, and its bound value."""
    if kbtext.is_gram_query(term):
        if dialect == "postgresql":
            return f"SELECT article_id FROM kb_search_docs WHERE grams @> ARRAY[:{name}]::text[]", term
        return f"SELECT rowid FROM kb_grams WHERE kb_grams MATCH :{name}", fts_phrase(term)
    if len(term) >= 3:
        if dialect == "postgresql":
            return f"SELECT article_id FROM kb_search_docs WHERE document LIKE :{name} ESCAPE '\\'", like_pattern(term)
        return f"SELECT rowid FROM kb_fts WHERE kb_fts MATCH :{name}", fts_phrase(term)
    # One or two symbols (「」, ㄅㄆ are not letters): no index, a scan of 5,000 short rows.
    return f"SELECT article_id FROM kb_search_docs WHERE document LIKE :{name} ESCAPE '\\'", like_pattern(term)


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
        params["tag"] = like_pattern(kbtext.TAG_SEPARATOR + kbtext.normalise(tag.strip()) + kbtext.TAG_SEPARATOR)
    # The ranking of app.knowledge.ranking (its weights, title over tag over body), applied by the database
    # so that only one page of ids comes back: fetching every match to rank in Python cost 5,000 rows for a
    # common character. tests/knowledge checks that both orders agree.
    score = " + ".join(
        f"CASE WHEN d.title LIKE :like_{index} ESCAPE '\\' THEN {ranking.TITLE_WEIGHT} "
        f"WHEN d.tags LIKE :like_{index} ESCAPE '\\' THEN {ranking.TAG_WEIGHT} ELSE {ranking.BODY_WEIGHT} END"
        for index in range(len(terms))
    )
    params.update({f"like_{index}": like_pattern(term) for index, term in enumerate(terms)})
    params["limit"] = limit
    statement = text(
        f"SELECT d.article_id, COUNT(*) OVER () AS total, {score or '0'} AS score FROM kb_search_docs d "
        f"JOIN kb_articles a ON a.id = d.article_id WHERE {' AND '.join(conditions)} "
        "ORDER BY score DESC, a.updated_at DESC, a.id DESC LIMIT :limit"
    ).bindparams(bindparam("states", expanding=True))
    with _index_scans_only(session, bool(terms)):
        rows = session.execute(statement, params).all()
    return Found(ids=[row[0] for row in rows], total=rows[0][1] if rows else 0)


@contextmanager
def _index_scans_only(session: Session, wanted: bool) -> Iterator[None]:
    """PostgreSQL: answer the terms from the GIN indexes (bitmap scans). For a common term the planner
    prefers reading every row, which decompresses every article's grams and document: 110-170 ms at
    5,000 articles, against 15 ms from the index (measured, bench/results/knowledge.md)."""
    hint = wanted and _dialect(session) == "postgresql"
    if hint:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        session.execute(text("SET LOCAL enable_indexscan = off"))
    try:
        yield
    finally:
        if hint:
            session.execute(text("SET LOCAL enable_seqscan = on"))
            session.execute(text("SET LOCAL enable_indexscan = on"))


def candidates(session: Session, *, query: str, states: Collection[ArticleState]) -> list[ranking.Hit]:
    """Every match as a ranking.Hit, newest first, for checking the database's order against ranking.rank."""
    found = search_ids(session, query=query, states=states, limit=1_000_000)
    if not found.ids:
        return []
    rows = session.execute(
        text(
            "SELECT d.article_id, d.title, d.tags, a.state FROM kb_search_docs d JOIN kb_articles a "
            "ON a.id = d.article_id WHERE d.article_id IN :ids ORDER BY a.updated_at DESC, a.id DESC"
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": list(found.ids)},
    ).all()
    return [ranking.Hit(article_id=row[0], title=row[1], tags=row[2], state=ArticleState(row[3])) for row in rows]

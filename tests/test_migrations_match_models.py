"""The migrations build the schema the models describe: a column, index or table added to a model without a
migration (or the other way round) fails here, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from app.db import Base, db

# Search lives outside the models on purpose: SQLite's FTS5 tables and their shadow tables, PostgreSQL's
# search documents with trigram and gram indexes, all written by raw SQL in app/cases/search.py and
# app/knowledge/search.py.
SEARCH_TABLES = re.compile(r"^(case|kb)_(fts|grams)(_\w+)?$|^kb_search_docs$|^case_search_grams$")
SEARCH_INDEXES = re.compile(r"_trgm$")  # trigram indexes on the cases' search text (PostgreSQL)


def _not_search(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if type_ == "index" and SEARCH_INDEXES.search(name or ""):
        return False
    table = obj if type_ == "table" else getattr(obj, "table", None)
    table_name = name if type_ == "table" else getattr(table, "name", "")
    return not SEARCH_TABLES.match(table_name or "")


def test_the_migrated_schema_is_the_models_schema(app: Flask) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": _not_search})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []

"""Creating and dropping a PostgreSQL database the way this system needs it (UTF-8 ctype)."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# pg_trgm extracts no trigrams from Chinese when LC_CTYPE is C; C.UTF-8 exists on every Debian.
UTF8_DATABASE = "TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"


def _admin_statements(url: str, *statements: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for statement in statements:
                connection.execute(text(statement.format(name=target.database)))
    finally:
        admin.dispose()


def recreate_postgres_database(url: str) -> None:
    """Drop the database in `url` if it exists and create it empty, with a UTF-8 ctype."""
    _admin_statements(
        url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{{name}}" {UTF8_DATABASE}'
    )


def drop_postgres_database(url: str) -> None:
    _admin_statements(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

"""hardening (issue 11): webhook receipts, idempotency records, console sessions; search re-indexed

`cases.search_text` holds description and address normalised as queries are (NFKC, lower case,
臺 -> 台) with phone numbers masked; the trigram indexes (FTS5 on SQLite, pg_trgm on PostgreSQL) and
the short-gram indexes are rebuilt over it. The column is added with ADD COLUMN, not a batch
operation, so the triggers on `cases` stay (docs/architecture.md, the trap for later migrations).

Revision ID: 0010_hardening
Revises: 0009_intake
Create Date: 2026-12-01 10:00:00

"""
import sqlalchemy as sa
from alembic import op

from app.cases.search import search_text
from app.cases.textgrams import short_grams

revision = "0010_hardening"
# Written on 0007_calls; chained after main's 0009_intake when main was merged (one head). It must run
# after any migration that touches `cases`: it rebuilds the FTS triggers over search_text.
down_revision = "0009_intake"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MOMENT = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "webhook_receipts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sid", sa.String(length=80), nullable=False),
        sa.Column("received_at", MOMENT, nullable=False),
        sa.Column("completed_at", MOMENT, nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("mimetype", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_receipts")),
        sa.UniqueConstraint("kind", "sid", name="uq_webhook_receipts_kind_sid"),
    )
    op.create_index(op.f("ix_webhook_receipts_received_at"), "webhook_receipts", ["received_at"])
    op.create_table(
        "idempotency_records",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_idempotency_records_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_records")),
        sa.UniqueConstraint("user_id", "key", name="uq_idempotency_records_user_id_key"),
    )
    op.create_index(op.f("ix_idempotency_records_created_at"), "idempotency_records", ["created_at"])
    op.create_table(
        "console_sessions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("expires_at", MOMENT, nullable=False),
        sa.Column("revoked_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_console_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_console_sessions_token_hash")),
    )
    op.create_index("ix_console_sessions_user_id", "console_sessions", ["user_id"])
    _reindex_search()


FTS_TRIGGERS = ("cases_fts_after_insert", "cases_fts_after_delete", "cases_fts_after_update")


def _fts(columns):
    """The trigram FTS5 table over `columns` of cases and the triggers that keep it in step (SQLite)."""
    new = ", ".join(f"new.{column}" for column in columns)
    old = ", ".join(f"old.{column}" for column in columns)
    names = ", ".join(columns)
    return [
        f"CREATE VIRTUAL TABLE case_fts USING fts5({names}, content='cases', content_rowid='id', tokenize='trigram')",
        f"""CREATE TRIGGER cases_fts_after_insert AFTER INSERT ON cases BEGIN
            INSERT INTO case_fts(rowid, {names}) VALUES (new.id, {new});
        END""",
        f"""CREATE TRIGGER cases_fts_after_delete AFTER DELETE ON cases BEGIN
            INSERT INTO case_fts(case_fts, rowid, {names}) VALUES ('delete', old.id, {old});
        END""",
        f"""CREATE TRIGGER cases_fts_after_update AFTER UPDATE OF {names} ON cases BEGIN
            INSERT INTO case_fts(case_fts, rowid, {names}) VALUES ('delete', old.id, {old});
            INSERT INTO case_fts(rowid, {names}) VALUES (new.id, {new});
        END""",
        "INSERT INTO case_fts(case_fts) VALUES ('rebuild')",
    ]


def _drop_fts():
    for trigger in FTS_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS case_fts")


def _each_case(bind, batch=1000):
    """(id, description, address) of every case, a page at a time by id."""
    last = 0
    while True:
        rows = bind.execute(
            sa.text("SELECT id, description, address FROM cases WHERE id > :last ORDER BY id LIMIT :batch"),
            {"last": last, "batch": batch},
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _reindex_search():
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.add_column("cases", sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    if postgres:
        op.execute("DROP INDEX IF EXISTS ix_cases_description_trgm")
        op.execute("DROP INDEX IF EXISTS ix_cases_address_trgm")
        op.execute("DELETE FROM case_search_grams")
    else:
        _drop_fts()  # rebuilt below over search_text, once it is filled
        op.execute("INSERT INTO case_grams(case_grams) VALUES ('delete-all')")
    for rows in _each_case(bind):
        texts = [(case_id, search_text(description, address)) for case_id, description, address in rows]
        bind.execute(sa.text("UPDATE cases SET search_text = :text WHERE id = :id"), [{"id": i, "text": t} for i, t in texts])
        if postgres:
            grams = [{"id": i, "grams": short_grams(t)} for i, t in texts]
            bind.execute(sa.text("INSERT INTO case_search_grams (case_id, grams) VALUES (:id, :grams)"), grams)
        else:
            grams = [{"id": i, "grams": " ".join(short_grams(t))} for i, t in texts]
            bind.execute(sa.text("INSERT INTO case_grams (rowid, grams) VALUES (:id, :grams)"), grams)
    if postgres:
        op.execute("CREATE INDEX ix_cases_search_text_trgm ON cases USING gin (search_text gin_trgm_ops)")
    else:
        for statement in _fts(["search_text"]):
            op.execute(statement)


def _restore_search():
    """The indexes as 0001 made them, over description and address as written."""
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("DROP INDEX IF EXISTS ix_cases_search_text_trgm")
        op.execute("CREATE INDEX ix_cases_description_trgm ON cases USING gin (description gin_trgm_ops)")
        op.execute("CREATE INDEX ix_cases_address_trgm ON cases USING gin (address gin_trgm_ops)")
        op.execute("DELETE FROM case_search_grams")
    else:
        _drop_fts()
        op.execute("INSERT INTO case_grams(case_grams) VALUES ('delete-all')")
    for rows in _each_case(bind):
        texts = [(case_id, f"{description} {address or ''}") for case_id, description, address in rows]
        if postgres:
            grams = [{"id": i, "grams": short_grams(t)} for i, t in texts]
            bind.execute(sa.text("INSERT INTO case_search_grams (case_id, grams) VALUES (:id, :grams)"), grams)
        else:
            grams = [{"id": i, "grams": " ".join(short_grams(t))} for i, t in texts]
            bind.execute(sa.text("INSERT INTO case_grams (rowid, grams) VALUES (:id, :grams)"), grams)
    op.execute("ALTER TABLE cases DROP COLUMN search_text")  # plain DROP COLUMN: no batch, triggers kept
    if not postgres:
        for statement in _fts(["description", "address"]):
            op.execute(statement)


def downgrade():
    _restore_search()
    op.drop_table("console_sessions")
    op.drop_table("idempotency_records")
    op.drop_table("webhook_receipts")

"""knowledge base: articles, their revisions (append-only), search indexes; calls.article_id references an article

Revision ID: 0011_kb
Revises: 0010_hardening
Create Date: 2026-12-01 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011_kb"
down_revision = "0010_hardening"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STATES = ("draft", "published", "archived")
ACTIONS = ("proposed", "edited", "published", "archived", "review_set", "loaded")

# The search documents are normalised text (NFKC, lower case, 臺 as 台) written by app.knowledge.search.
SQLITE_UP = [
    "CREATE VIRTUAL TABLE kb_fts USING fts5(document, tokenize='trigram')",
    "CREATE VIRTUAL TABLE kb_grams USING fts5(grams, tokenize='unicode61', detail='none')",
    """CREATE TRIGGER kb_article_revisions_no_update BEFORE UPDATE ON kb_article_revisions BEGIN
        SELECT RAISE(ABORT, 'kb_article_revisions is append-only');
    END""",
    """CREATE TRIGGER kb_article_revisions_no_delete BEFORE DELETE ON kb_article_revisions BEGIN
        SELECT RAISE(ABORT, 'kb_article_revisions is append-only');
    END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER kb_article_revisions_no_delete",
    "DROP TRIGGER kb_article_revisions_no_update",
    "DROP TABLE kb_grams",
    "DROP TABLE kb_fts",
]
POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE kb_search_docs ADD COLUMN grams TEXT[] NOT NULL DEFAULT '{}'",
    "CREATE INDEX ix_kb_search_docs_document_trgm ON kb_search_docs USING gin (document gin_trgm_ops)",
    "CREATE INDEX ix_kb_search_docs_grams ON kb_search_docs USING gin (grams)",
    """CREATE FUNCTION kb_article_revisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'kb_article_revisions is append-only'; END $$""",
    """CREATE TRIGGER kb_article_revisions_no_change BEFORE UPDATE OR DELETE ON kb_article_revisions
        FOR EACH ROW EXECUTE FUNCTION kb_article_revisions_append_only()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER kb_article_revisions_no_change ON kb_article_revisions",
    "DROP FUNCTION kb_article_revisions_append_only()",
]


def upgrade():
    op.create_table(
        "kb_articles",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=True),
        sa.Column("state", sa.Enum(*STATES, name="article_state", native_enum=False, length=20), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_kb_articles_agency_id_agencies")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_kb_articles_created_by_id_users")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_kb_articles_updated_by_id_users")),
        sa.ForeignKeyConstraint(["published_by_id"], ["users.id"], name=op.f("fk_kb_articles_published_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_articles")),
        sa.UniqueConstraint("slug", name=op.f("uq_kb_articles_slug")),
    )
    op.create_index("ix_kb_articles_state_updated_at", "kb_articles", ["state", "updated_at"])
    op.create_table(
        "kb_article_revisions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("article_id", BIG_ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("action", sa.Enum(*ACTIONS, name="article_action", native_enum=False, length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.Enum(*STATES, name="article_state", native_enum=False, length=20), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"], ["kb_articles.id"], name=op.f("fk_kb_article_revisions_article_id_kb_articles")
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_kb_article_revisions_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_article_revisions")),
        sa.UniqueConstraint("article_id", "number", name=op.f("uq_kb_article_revisions_article_id")),
    )
    # Normalised text per article, for search: titles, tags ("|tag|tag|"), and everything together.
    op.create_table(
        "kb_search_docs",
        sa.Column("article_id", BIG_ID, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["kb_articles.id"], name=op.f("fk_kb_search_docs_article_id_kb_articles")
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_kb_search_docs")),
    )
    bind = op.get_bind()
    for statement in POSTGRES_UP if bind.dialect.name == "postgresql" else SQLITE_UP:
        op.execute(statement)
    # calls has no triggers, so SQLite's batch mode (a copy of the table) loses nothing.
    with op.batch_alter_table("calls") as batch:
        batch.create_foreign_key(op.f("fk_calls_article_id_kb_articles"), "kb_articles", ["article_id"], ["id"])
    op.create_index(op.f("ix_calls_article_id"), "calls", ["article_id"])


def downgrade():
    op.drop_index(op.f("ix_calls_article_id"), table_name="calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_constraint(op.f("fk_calls_article_id_kb_articles"), type_="foreignkey")
    bind = op.get_bind()
    for statement in POSTGRES_DOWN if bind.dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
    op.drop_table("kb_search_docs")
    op.drop_table("kb_article_revisions")
    op.drop_index("ix_kb_articles_state_updated_at", table_name="kb_articles")
    op.drop_table("kb_articles")

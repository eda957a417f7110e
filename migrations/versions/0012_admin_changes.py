"""administrators' change log: admin_changes, append-only

Revision ID: 0012_admin_changes
Revises: 0011_kb
Create Date: 2026-11-30 19:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_admin_changes"
down_revision = "0011_kb"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

SQLITE_UP = [
    """CREATE TRIGGER admin_changes_no_update BEFORE UPDATE ON admin_changes BEGIN
        SELECT RAISE(ABORT, 'admin_changes is append-only');
    END""",
    """CREATE TRIGGER admin_changes_no_delete BEFORE DELETE ON admin_changes BEGIN
        SELECT RAISE(ABORT, 'admin_changes is append-only');
    END""",
]
SQLITE_DOWN = ["DROP TRIGGER admin_changes_no_delete", "DROP TRIGGER admin_changes_no_update"]
POSTGRES_UP = [
    """CREATE FUNCTION admin_changes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'admin_changes is append-only'; END $$""",
    """CREATE TRIGGER admin_changes_no_change BEFORE UPDATE OR DELETE ON admin_changes
        FOR EACH ROW EXECUTE FUNCTION admin_changes_append_only()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER admin_changes_no_change ON admin_changes",
    "DROP FUNCTION admin_changes_append_only()",
]


def upgrade():
    op.create_table(
        "admin_changes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=80), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_key", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_admin_changes_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_changes")),
    )
    op.create_index("ix_admin_changes_object", "admin_changes", ["object_type", "object_key", "occurred_at"])
    op.create_index("ix_admin_changes_actor_id_occurred_at", "admin_changes", ["actor_id", "occurred_at"])
    op.create_index("ix_admin_changes_occurred_at", "admin_changes", ["occurred_at"])
    statements = POSTGRES_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP
    for statement in statements:
        op.execute(statement)


def downgrade():
    statements = POSTGRES_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN
    for statement in statements:
        op.execute(statement)
    op.drop_table("admin_changes")

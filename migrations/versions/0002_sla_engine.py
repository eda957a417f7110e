"""SLA engine: deadlines on cases, once-only SLA events, policy versions, calendar overrides, pauses

Revision ID: 0002_sla_engine
Revises: 0001_case_core
Create Date: 2026-11-23 05:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0002_sla_engine"
down_revision = "0001_case_core"
branch_labels = None
depends_on = None

# Plain ADD COLUMN and CREATE INDEX only: SQLite then keeps the tables (and their search and
# append-only triggers) as they are, with no batch rebuild.
_CASE_COLUMNS = [
    sa.Column("sla_policy", sa.String(length=120), nullable=True),
    sa.Column("sla_policy_version", sa.Integer(), nullable=True),
    sa.Column("sla_round", sa.Integer(), server_default="0", nullable=False),
    sa.Column("sla_started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("ack_due_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("report_due_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("sla_stage", sa.String(length=20), nullable=True),
    sa.Column("next_sla_check_at", sa.DateTime(timezone=True), nullable=True),
]


def upgrade():
    for column in _CASE_COLUMNS:
        op.add_column("cases", column)
    op.create_index("ix_cases_next_sla_check_at", "cases", ["next_sla_check_at"])
    op.create_index("ix_cases_sla_stage_sla_due_at", "cases", ["sla_stage", "sla_due_at"])
    op.add_column("case_events", sa.Column("sla_key", sa.String(length=40), nullable=True))
    op.create_index("uq_case_events_case_id_sla_key", "case_events", ["case_id", "sla_key"], unique=True)

    op.create_table(
        "sla_policy_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policy_versions")),
        sa.UniqueConstraint("key", "version", name=op.f("uq_sla_policy_versions_key")),
    )
    op.create_table(
        "calendar_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_calendar_overrides_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_overrides")),
        sa.UniqueConstraint("day", name=op.f("uq_calendar_overrides_day")),
    )
    op.create_table(
        "sla_pauses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_sla_pauses_case_id_cases")),
        sa.ForeignKeyConstraint(["started_by_id"], ["users.id"], name=op.f("fk_sla_pauses_started_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_pauses")),
    )
    op.create_index("ix_sla_pauses_case_id", "sla_pauses", ["case_id"])


def downgrade():
    op.drop_index("ix_sla_pauses_case_id", table_name="sla_pauses")
    op.drop_table("sla_pauses")
    op.drop_table("calendar_overrides")
    op.drop_table("sla_policy_versions")
    op.drop_index("uq_case_events_case_id_sla_key", table_name="case_events")
    op.drop_index("ix_cases_sla_stage_sla_due_at", table_name="cases")
    op.drop_index("ix_cases_next_sla_check_at", table_name="cases")
    # PostgreSQL drops the columns in place; SQLite (3.35+) does too, since none is indexed any more.
    for column in reversed(_CASE_COLUMNS):
        op.drop_column("cases", column.name)
    op.drop_column("case_events", "sla_key")

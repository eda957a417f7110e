"""the monthly report: clock readings at a case's milestones, and frozen report snapshots

Revision ID: 0016_monthly
Revises: 0015_wall
Create Date: 2026-11-30 20:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016_monthly"
down_revision = "0015_wall"
branch_labels = None
depends_on = None

# Plain ADD COLUMN: a batch alter would recreate `cases` on SQLite and drop its triggers.
SQLITE_UP = [
    """CREATE TRIGGER report_snapshots_no_update BEFORE UPDATE ON report_snapshots BEGIN
        SELECT RAISE(ABORT, 'report_snapshots is append-only');
    END""",
    """CREATE TRIGGER report_snapshots_no_delete BEFORE DELETE ON report_snapshots BEGIN
        SELECT RAISE(ABORT, 'report_snapshots is append-only');
    END""",
]
POSTGRES_UP = [
    """CREATE FUNCTION report_snapshots_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'report_snapshots is append-only'; END $$""",
    """CREATE TRIGGER report_snapshots_no_change BEFORE UPDATE OR DELETE ON report_snapshots
        FOR EACH ROW EXECUTE FUNCTION report_snapshots_append_only()""",
]
REPORT_INDEX = (
    "received_at",
    "agency_id",
    "case_type",
    "status",
    "ack_clock_seconds",
    "ack_window_seconds",
    "ack_due_at",
    "report_clock_seconds",
    "report_window_seconds",
    "report_due_at",
    "category_id",
    "district_id",
    "channel",
    "created_at",
    "closed_at",
)
OPEN_AT_MONTH_END_INDEX = (
    "reported_at",
    "received_at",
    "agency_id",
    "case_type",
    "status",
    "report_due_at",
    "merged_at",
    "cancelled_at",
)
CLOCK_COLUMNS = ("ack_clock_seconds", "ack_window_seconds", "report_clock_seconds", "report_window_seconds")


def upgrade():
    for name in CLOCK_COLUMNS:
        op.add_column("cases", sa.Column(name, sa.Integer(), nullable=True))
    # The report's aggregates read a month of cases by received_at from this index alone (no table rows:
    # descriptions make them large), and overdue-at-month-end reads the not-yet-reported through reported_at.
    op.create_index("ix_cases_monthly_report", "cases", list(REPORT_INDEX))
    op.create_index("ix_cases_reported_at", "cases", list(OPEN_AT_MONTH_END_INDEX))
    # Calls per month and outcome from the index alone.
    op.create_index("ix_calls_started_at_outcome", "calls", ["started_at", "outcome"])
    op.create_table(
        "report_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("frozen_by_id", sa.Integer(), nullable=True),
        sa.Column("frozen_by_name", sa.String(length=80), nullable=False),
        sa.Column("app_version", sa.String(length=40), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["frozen_by_id"], ["users.id"], name=op.f("fk_report_snapshots_frozen_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_snapshots")),
        sa.UniqueConstraint("kind", "month", name=op.f("uq_report_snapshots_kind")),
    )
    # A signed report never changes: the database refuses to update or delete a snapshot.
    statements = POSTGRES_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP
    for statement in statements:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER report_snapshots_no_change ON report_snapshots")
        op.execute("DROP FUNCTION report_snapshots_append_only()")
    op.drop_table("report_snapshots")
    op.drop_index("ix_calls_started_at_outcome", table_name="calls")
    op.drop_index("ix_cases_reported_at", table_name="cases")
    op.drop_index("ix_cases_monthly_report", table_name="cases")
    for name in reversed(CLOCK_COLUMNS):
        op.drop_column("cases", name)

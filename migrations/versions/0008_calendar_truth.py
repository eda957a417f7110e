"""calendar truth: partial-day overrides, imported official years, the holiday source's fingerprint

Revision ID: 0008_calendar_truth
Revises: 0007_calls
Create Date: 2026-11-30 16:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0008_calendar_truth"
down_revision = "0007_calls"
branch_labels = None
depends_on = None

# ADD COLUMN and new tables only: no batch rebuild (calendar_overrides has no triggers, but
# nothing here needs one either).


def upgrade():
    op.add_column("calendar_overrides", sa.Column("starts_at", sa.Time(), nullable=True))
    op.add_column("calendar_overrides", sa.Column("ends_at", sa.Time(), nullable=True))
    op.create_table(
        "official_calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("days_off", sa.Integer(), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["imported_by_id"], ["users.id"], name=op.f("fk_official_calendar_years_imported_by_id_users")
        ),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_official_calendar_years")),
    )
    op.create_table(
        "calendar_source_marks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("years", sa.JSON(), nullable=False),
        sa.Column("noticed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_calendar_source_marks")),
    )


def downgrade():
    op.drop_table("calendar_source_marks")
    op.drop_table("official_calendar_years")
    op.drop_column("calendar_overrides", "ends_at")
    op.drop_column("calendar_overrides", "starts_at")

"""intake: the count of reports on a case, and the index duplicates are looked up by

Revision ID: 0009_intake
Revises: 0008_calendar_truth
Create Date: 2026-12-01 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0009_intake"
down_revision = "0008_calendar_truth"
branch_labels = None
depends_on = None


def upgrade():
    # ADD COLUMN, not batch mode: SQLite keeps the triggers on `cases` (docs/architecture.md).
    op.add_column("cases", sa.Column("report_count", sa.Integer(), nullable=False, server_default="1"))
    op.create_index(
        "ix_cases_category_id_district_id_received_at", "cases", ["category_id", "district_id", "received_at"]
    )


def downgrade():
    op.drop_index("ix_cases_category_id_district_id_received_at", table_name="cases")
    op.drop_column("cases", "report_count")

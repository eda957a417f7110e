"""the monthly report, faster: a partial index of the events it counts per agency (re-routes, returns, extensions)

Revision ID: 0017_report_speed
Revises: 0016_monthly
Create Date: 2026-11-30 23:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017_report_speed"
down_revision = "0016_monthly"
branch_labels = None
depends_on = None

# The same text as app.models.REPORT_KINDS_WHERE (a migration does not import the models, which move on).
REPORT_KINDS_WHERE = "event_type IN ('case_assigned', 'case_returned', 'extension_approved')"


def upgrade():
    # A month's cases joined to the ~1 in 6 events of these kinds, from the index alone: without it the
    # report scanned the whole audit trail (2 million events a year) for them.
    op.create_index(
        "ix_case_events_report_kinds",
        "case_events",
        ["case_id", "event_type", "agency_id", "left_agency_id"],
        postgresql_where=sa.text(REPORT_KINDS_WHERE),
        sqlite_where=sa.text(REPORT_KINDS_WHERE),
    )


def downgrade():
    op.drop_index("ix_case_events_report_kinds", table_name="case_events")

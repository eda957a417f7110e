"""realtime: who may see each event (the case's agency then, and the agency it left)

Revision ID: 0004_realtime
Revises: 0003_dispatch
Create Date: 2026-11-23 08:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0004_realtime"
down_revision = "0003_dispatch"
branch_labels = None
depends_on = None

# ADD COLUMN and CREATE INDEX only: SQLite keeps the append-only triggers on case_events.
# Events written before this revision keep NULL agencies: agency consoles do not replay them
# (they are older than any replay window), staff consoles do.


def upgrade():
    op.add_column("case_events", sa.Column("agency_id", sa.Integer(), nullable=True))
    op.add_column("case_events", sa.Column("left_agency_id", sa.Integer(), nullable=True))
    op.create_index("ix_case_events_agency_id_id", "case_events", ["agency_id", "id"])
    op.create_index("ix_case_events_left_agency_id_id", "case_events", ["left_agency_id", "id"])


def downgrade():
    op.drop_index("ix_case_events_left_agency_id_id", table_name="case_events")
    op.drop_index("ix_case_events_agency_id_id", table_name="case_events")
    op.drop_column("case_events", "left_agency_id")
    op.drop_column("case_events", "agency_id")

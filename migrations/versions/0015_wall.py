"""agencies' requests to the centre (case_requests) and a case's report extension

Revision ID: 0015_wall
Revises: 0014_report_back
Create Date: 2026-11-30 19:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015_wall"
down_revision = "0014_report_back"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True)


def upgrade():
    # A plain ADD COLUMN: cases carries triggers that a batch (copy-and-rename) alter would drop on SQLite.
    op.add_column("cases", sa.Column("report_extension_seconds", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "case_requests",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("sla_round", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", UTC_TIME, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("to_agency_id", sa.Integer(), nullable=True),
        sa.Column("report_due_at", UTC_TIME, nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTC_TIME, nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_requests_case_id_cases")),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_case_requests_agency_id_agencies")),
        sa.ForeignKeyConstraint(
            ["to_agency_id"], ["agencies.id"], name=op.f("fk_case_requests_to_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_case_requests_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_case_requests_decided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_requests")),
    )
    op.create_index("ix_case_requests_case_id_kind_state", "case_requests", ["case_id", "kind", "state"])
    op.create_index("ix_case_requests_state_requested_at", "case_requests", ["state", "requested_at"])


def downgrade():
    op.drop_index("ix_case_requests_state_requested_at", table_name="case_requests")
    op.drop_index("ix_case_requests_case_id_kind_state", table_name="case_requests")
    op.drop_table("case_requests")
    op.drop_column("cases", "report_extension_seconds")

"""case lists: an agency's at-risk and breached lists from an index (agency, stage, deadline)

Revision ID: 0018_case_lists
Revises: 0017_report_speed
Create Date: 2026-12-01 00:40:00

"""

from alembic import op

revision = "0018_case_lists"
down_revision = "0017_report_speed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # At a million cases an agency's `?sla=breached` walked all of its cases on SQLite (0.4 s: the agency
    # index, then every row's stage) and every breached case of every agency on PostgreSQL (10 ms).
    op.create_index("ix_cases_agency_id_sla_stage_sla_due_at", "cases", ["agency_id", "sla_stage", "sla_due_at", "id"])
    bind = op.get_bind()
    analysed = (
        bind.dialect.name == "sqlite"
        and bind.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first()
    )
    if analysed:
        # A database ANALYZEd before has statistics for every index but this one, and SQLite then guesses
        # it selective: an agency's plain newest-first list sorted all its cases (80 ms at a million)
        # instead of walking ix_cases_agency_id_id. Without any statistics its defaults choose right.
        bind.exec_driver_sql("PRAGMA analysis_limit = 1000")
        bind.exec_driver_sql("ANALYZE cases")


def downgrade() -> None:
    op.drop_index("ix_cases_agency_id_sla_stage_sla_due_at", table_name="cases")

"""dispatch: the alert ladder on cases, outbox bookkeeping, SMS opt-outs

Revision ID: 0003_dispatch
Revises: 0002_sla_engine
Create Date: 2026-11-23 06:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0003_dispatch"
down_revision = "0002_sla_engine"
branch_labels = None
depends_on = None

# ADD COLUMN and CREATE INDEX only, as in 0002: SQLite keeps its tables and triggers.


def upgrade():
    op.add_column("cases", sa.Column("alert_step", sa.Integer(), server_default="0", nullable=False))
    op.add_column("cases", sa.Column("next_alert_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_cases_next_alert_at", "cases", ["next_alert_at"])
    op.add_column(
        "notifications", sa.Column("kind", sa.String(length=30), server_default="message", nullable=False)
    )
    op.add_column("notifications", sa.Column("provider_status", sa.String(length=20), nullable=True))
    op.add_column("notifications", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("notifications", sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "sms_opt_outs",
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_sms_opt_outs")),
    )


def downgrade():
    op.drop_table("sms_opt_outs")
    for column in ("delivered_at", "claimed_at", "provider_status", "kind"):
        op.drop_column("notifications", column)
    op.drop_index("ix_cases_next_alert_at", table_name="cases")
    op.drop_column("cases", "next_alert_at")
    op.drop_column("cases", "alert_step")

"""versioned alert ladders: ladder versions stored by `flask seed`, and the one each case started with

Revision ID: 0005_versioned_ladders
Revises: 0004_realtime
Create Date: 2026-11-24 08:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0005_versioned_ladders"
down_revision = "0004_realtime"
branch_labels = None
depends_on = None

# ADD COLUMN only on `cases`: a batch alter would recreate it on SQLite and drop its FTS triggers.
# Cases whose ladder started before this revision keep NULLs and climb the current version (see
# app.alerting.alerts.ladder_of). The table starts empty: run `flask seed` right after upgrading, as
# `make run` does; until then an urgent dispatch climbs the ladder of alerts.yaml itself.


def upgrade():
    op.create_table(
        "alert_ladder_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_ladder_versions")),
        sa.UniqueConstraint("key", "version", name=op.f("uq_alert_ladder_versions_key")),
    )
    op.add_column("cases", sa.Column("alert_ladder", sa.String(length=120), nullable=True))
    op.add_column("cases", sa.Column("alert_ladder_version", sa.Integer(), nullable=True))


def downgrade():
    # Neither column is indexed, so SQLite (3.35+) drops them in place too.
    op.drop_column("cases", "alert_ladder_version")
    op.drop_column("cases", "alert_ladder")
    op.drop_table("alert_ladder_versions")

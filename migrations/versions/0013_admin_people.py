"""administration of people: duty rosters, temporary passwords, languages, token expiry and last use

Revision ID: 0013_admin_people
Revises: 0012_admin_changes
Create Date: 2026-11-30 19:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013_admin_people"
down_revision = "0012_admin_changes"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN only (no batch mode): nothing here recreates a table.
    op.add_column("users", sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default="0"))
    op.add_column("users", sa.Column("language", sa.String(length=8), nullable=True))
    op.add_column("api_tokens", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("api_tokens", sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("notifications", sa.Column("recipient_name", sa.String(length=80), nullable=True))
    op.create_table(
        "roster_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("days", sa.String(length=80), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_roster_shifts_agency_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_shifts")),
    )
    op.create_index(op.f("ix_roster_shifts_agency_id"), "roster_shifts", ["agency_id"])
    op.create_table(
        "roster_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_roster_overrides_agency_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_overrides")),
    )
    op.create_index("ix_roster_overrides_agency_id_ends_at", "roster_overrides", ["agency_id", "ends_at"])


def downgrade():
    op.drop_table("roster_overrides")
    op.drop_table("roster_shifts")
    # Plain DROP COLUMN (SQLite >= 3.35): batch mode would recreate `users`, which other tables reference.
    op.drop_column("notifications", "recipient_name")
    op.drop_column("api_tokens", "last_used_at")
    op.drop_column("api_tokens", "expires_at")
    op.drop_column("users", "language")
    op.drop_column("users", "must_change_password")

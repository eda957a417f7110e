"""report back with an outcome and photos: cases.report_outcome, case_photos

Revision ID: 0014_report_back
Revises: 0013_admin_people
Create Date: 2026-11-30 19:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014_report_back"
down_revision = "0013_admin_people"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    # A plain ADD COLUMN: `cases` carries triggers that a SQLite batch rebuild would lose.
    op.add_column("cases", sa.Column("report_outcome", sa.String(length=30), nullable=True))
    op.create_table(
        "case_photos",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("event_id", BIG_ID, nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("image_key", sa.String(length=200), nullable=False),
        sa.Column("thumb_key", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("thumb_width", sa.Integer(), nullable=False),
        sa.Column("thumb_height", sa.Integer(), nullable=False),
        sa.Column("gps_latitude", sa.Float(), nullable=True),
        sa.Column("gps_longitude", sa.Float(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_photos_case_id_cases")),
        sa.ForeignKeyConstraint(["event_id"], ["case_events.id"], name=op.f("fk_case_photos_event_id_case_events")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_case_photos_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_photos")),
        sa.UniqueConstraint("image_key", name=op.f("uq_case_photos_image_key")),
        sa.UniqueConstraint("thumb_key", name=op.f("uq_case_photos_thumb_key")),
    )
    op.create_index("ix_case_photos_case_id_id", "case_photos", ["case_id", "id"])
    op.create_index(op.f("ix_case_photos_event_id"), "case_photos", ["event_id"])


def downgrade():
    op.drop_index(op.f("ix_case_photos_event_id"), table_name="case_photos")
    op.drop_index("ix_case_photos_case_id_id", table_name="case_photos")
    op.drop_table("case_photos")
    op.drop_column("cases", "report_outcome")

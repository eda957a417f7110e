"""calls: every call an agent handles and how it ended

Revision ID: 0007_calls
Revises: 0006_socket_alerts_from_feed
Create Date: 2026-11-30 16:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0007_calls"
down_revision = "0006_socket_alerts_from_feed"
branch_labels = None
depends_on = None

CHANNELS = ("phone", "counter", "web", "letter", "fax", "app", "sms", "line_video", "chatbot", "open311")
OUTCOMES = (
    "consultation_answered",
    "case_opened",
    "added_to_case",
    "progress_inquiry",
    "transferred",
    "hung_up",
    "wrong_number",
    "abusive",
)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "calls",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("caller_phone", sa.String(length=20), nullable=True),
        sa.Column("caller_as_given", sa.String(length=40), nullable=True),
        sa.Column("channel", sa.Enum(*CHANNELS, name="channel", native_enum=False, length=20), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Enum(*OUTCOMES, name="call_outcome", native_enum=False, length=30), nullable=True),
        sa.Column("case_id", BIG_ID, nullable=True),
        sa.Column("article_id", BIG_ID, nullable=True),
        sa.Column("answer_text", sa.Text(), nullable=True),
        sa.Column("transferred_to", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_calls_agent_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_calls_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
    )
    op.create_index("ix_calls_caller_phone_started_at", "calls", ["caller_phone", "started_at"])
    op.create_index("ix_calls_agent_id_started_at", "calls", ["agent_id", "started_at"])
    op.create_index("ix_calls_started_at", "calls", ["started_at"])
    op.create_index(op.f("ix_calls_case_id"), "calls", ["case_id"])


def downgrade():
    op.drop_table("calls")

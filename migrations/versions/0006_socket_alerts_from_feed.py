"""socket alerts from the event feed: outbox `socket` rows still waiting are cancelled

Revision ID: 0006_socket_alerts_from_feed
Revises: 0005_versioned_ladders
Create Date: 2026-11-27 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006_socket_alerts_from_feed"
down_revision = "0005_versioned_ladders"
branch_labels = None
depends_on = None

# Console alerts are raised by the live feed from the events now; nothing reads `socket` rows any
# more. Those still waiting would otherwise stay pending for ever: they are cancelled, with the
# reason. Their events are in the trail, and the consoles show the cases still waiting from the
# case list, so nothing is lost. Data only, no DDL: SQLite keeps its triggers.
REASON = "not pushed: console alerts come from the event feed since migration 0006"
WAITING = ("pending", "failed", "sending")


def upgrade():
    notifications = sa.table(
        "notifications",
        sa.column("channel", sa.String),
        sa.column("status", sa.String),
        sa.column("last_error", sa.Text),
    )
    op.execute(
        notifications.update()
        .where(notifications.c.channel == "socket", notifications.c.status.in_(WAITING))
        .values(status="cancelled", last_error=REASON)
    )


def downgrade():
    # The rows cancelled here stay cancelled: by now they are older than any alert worth pushing
    # (the old pusher dropped alerts older than 15 minutes anyway).
    pass

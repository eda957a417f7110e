"""An outbox notification (an SMS or a call about a case) as each audience sees it, with its delivery state."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from app import phones
from app.models import Notification
from app.present import audience
from app.present.audience import View
from app.present.times import local_iso


def notification_view(row: Notification, view: View, tz: ZoneInfo) -> dict[str, Any]:
    """One notification: to whom (masked for a masked view: it may be the reporter), what, and how far it got."""
    recipient = row.recipient if view is View.STAFF else phones.mask_in_text(row.recipient)
    return {
        "id": row.id,
        "kind": row.kind,
        "channel": row.channel,
        "recipient": recipient,
        # Who was on duty at that number (the duty roster); a name is no secret from the case's agency.
        "recipient_name": row.recipient_name,
        "body": audience.text(row.body, view),
        "status": row.status.value,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "created_at": local_iso(row.created_at, tz),
        "sent_at": local_iso(row.sent_at, tz),
        "delivered_at": local_iso(row.delivered_at, tz),
    }

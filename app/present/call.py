"""A call about a case as each audience sees it: when, how, how it ended, the caller masked for masked views."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from app import phones
from app.models import Call
from app.present import audience
from app.present.audience import View
from app.present.times import local_iso


def call_view(call: Call, view: View, tz: ZoneInfo) -> dict[str, Any]:
    """One call; the caller is the citizen, so a masked view sees the number as it sees the reporter's."""
    staff = view is View.STAFF
    # An anonymous reporter is hidden from a masked view, on their case and on the calls about it alike.
    hidden = not staff and call.case is not None and call.case.anonymous
    ended = call.ended_at
    return {
        "id": call.id,
        "channel": call.channel.value,
        "outcome": call.outcome.value if call.outcome else None,
        "caller_phone": None if hidden else call.caller_phone if staff else phones.mask(call.caller_phone),
        "caller_as_given": None if hidden else audience.text(call.caller_as_given, view),
        "agent": call.agent.username if call.agent else None,
        "started_at": local_iso(call.started_at, tz),
        "ended_at": local_iso(ended, tz),
        "duration_seconds": int((ended - call.started_at).total_seconds()) if ended else None,
        "case_no": call.case.case_no if call.case else None,
        "article_id": call.article_id,
        "answer_text": audience.text(call.answer_text, view),
        "transferred_to": call.transferred_to,
        "note": audience.text(call.note, view),
    }

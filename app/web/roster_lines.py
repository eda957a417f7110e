"""Who is on duty at an agency now and next, in words, for the board (and any page that shows it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.models import Agency
from app.reference.rosters import now_and_next
from app.settings_access import current_settings
from app.web.casepage.words import phone_text


def on_duty_lines(session: Session, agency: Agency, now: datetime) -> dict[str, Any]:
    """`now`: names and phones on duty (empty: the agency's duty phones take the alerts); `next`: when and who."""
    current, upcoming = now_and_next(session, agency.id, now)
    fallback = [phone_text(number) for number in agency.duty_phones]
    lines: dict[str, Any] = {
        "now": [f"{entry.name} {phone_text(entry.phone)}" for entry in current],
        "fallback": fallback,
        "next": None,
    }
    if upcoming is not None:
        when = upcoming[0].astimezone(current_settings().timezone)
        lines["next"] = {
            "when": when.strftime("%m-%d %H:%M"),
            "who": [f"{entry.name} {phone_text(entry.phone)}" for entry in upcoming[1]],
        }
    return lines

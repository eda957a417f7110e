"""Times as people read them: ISO 8601 in the deployment's zone (Asia/Taipei)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local_iso(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return moment.astimezone(tz).isoformat() if moment else None

"""Times as people read them: ISO 8601 in the deployment's zone (Asia/Taipei)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def local_iso(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return moment.astimezone(tz).isoformat() if moment else None


def roc_datetime(moment: datetime | None, tz: ZoneInfo) -> str:
    """115/11/30 14:32: a date and time as the centre writes them (ROC year = AD − 1911), in its zone."""
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    return f"{local.year - 1911}/{local:%m/%d %H:%M}"


def roc_date(moment: datetime | None, tz: ZoneInfo) -> str:
    """115/11/30."""
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    return f"{local.year - 1911}/{local:%m/%d}"


def roc_month(year: int, month: int) -> str:
    """115年11月: the month a report is dated by."""
    return f"{year - 1911}年{month}月"


def roc_day(day: date | None) -> str:
    """115/11/30, for a calendar date (a review date) rather than a moment."""
    return f"{day.year - 1911}/{day:%m/%d}" if day else ""

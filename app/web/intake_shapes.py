"""What the intake and my-work pages show and give their scripts: cases with time left in words, the
reference lists for type-ahead, and the page data every console script reads (console-common.js)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.access import Actor
from app.api import PREFIX as API_PREFIX
from app.cases.deadlines import load_context, sla_statuses
from app.cases.duplicates import Duplicate
from app.i18n import is_english
from app.models import Case
from app.present.audience import view_of
from app.present.call import case_line, duplicate_view
from app.reference.cache import reference_cache
from app.settings_access import current_settings
from app.vocabulary import CaseType
from app.web.labels import label, labels_for_script

# Dispatches first: they are most of what is typed in a hurry.
_TYPE_ORDER = {CaseType.DISPATCH: 0, CaseType.PETITION: 1, CaseType.SUPERVISION: 2, CaseType.CONSULTATION: 3}


def time_left_words(seconds: int | None, *, working: bool = False) -> str | None:
    """3 小時 12 分 left, or 20 分 overdue, on the case's own clock. On a working-time clock (petitions)
    the amount is office hours, said as hours and marked so: 48 office hours are six working days, not two days."""
    if seconds is None:
        return None
    minutes = abs(seconds) // 60
    hours, minutes = divmod(minutes, 60)
    days, hours_in_day = divmod(hours, 24)
    if working:
        amount = (
            label("duration.hours", hours=hours, minutes=minutes)
            if hours
            else label("duration.minutes", minutes=minutes)
        )
        return label("time_left.overdue_working" if seconds < 0 else "time_left.remaining_working", amount=amount)
    amount = (
        label("duration.days", days=days, hours=hours_in_day)
        if days
        else label("duration.hours", hours=hours, minutes=minutes)
        if hours
        else label("duration.minutes", minutes=minutes)
    )
    return label("time_left.overdue" if seconds < 0 else "time_left.remaining", amount=amount)


def case_lines(session: Session, actor: Actor, cases: Sequence[Case], now: datetime) -> list[dict[str, Any]]:
    """Cases as lines beside a call or on my work, each with its deadline's time left in words."""
    if not cases:
        return []
    tz, context = current_settings().timezone, load_context(session)
    lines = []
    for case, status in zip(cases, sla_statuses(session, cases, context, now), strict=True):
        line = case_line(case, view_of(actor), tz, status)
        line["time_left_words"] = time_left_words(line["time_left_seconds"], working=line["time_left_working"])
        lines.append(line)
    return lines


def duplicate_lines(session: Session, actor: Actor, found: Sequence[Duplicate], now: datetime) -> list[dict[str, Any]]:
    if not found:
        return []
    tz, context = current_settings().timezone, load_context(session)
    lines = []
    statuses = sla_statuses(session, [duplicate.case for duplicate in found], context, now)
    for duplicate, status in zip(found, statuses, strict=True):
        line = duplicate_view(duplicate, view_of(actor), tz, status)
        line["time_left_words"] = time_left_words(line["time_left_seconds"], working=line["time_left_working"])
        lines.append(line)
    return lines


def choices(session: Session) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The active categories and districts, named in the page's language, with both names and the code to search."""
    snapshot = reference_cache.snapshot(session)
    english = is_english()
    categories = sorted(snapshot.categories.values(), key=lambda row: (_TYPE_ORDER.get(row.case_type, 9), row.id))
    return (
        [
            {
                "code": row.code,
                "name": row.name_en if english else row.name_zh,
                "zh": row.name_zh,
                "en": row.name_en,
                "type": row.case_type.value,
                "urgent": "1" if row.urgent else "",
            }
            for row in categories
        ],
        [
            {"code": row.code, "name": row.name_en if english else row.name_zh, "zh": row.name_zh, "en": row.name_en}
            for row in sorted(snapshot.districts.values(), key=lambda row: row.id)
        ],
    )


def page_data(actor: Actor, **extra: Any) -> dict[str, Any]:
    """What every page script reads: who is looking, the words, the language and the time zone."""
    return {
        "user_id": actor.user_id,
        "username": actor.username,
        "role": actor.role.value,
        "lang": "en" if is_english() else "zh-TW",
        "time_zone": current_settings().timezone.key,
        "api": API_PREFIX,
        "labels": labels_for_script(),
        **extra,
    }

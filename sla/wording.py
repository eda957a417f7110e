"""The words of an SLA escalation: one sentence for the agency supervisors' SMS and the centre's alert. Pure."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sla.timeline import Target

_TARGET_ZH = {Target.ACKNOWLEDGE: "確認收到", Target.REPORT: "回報處理情形"}


def overdue_text(
    *, case_no: str, category_name_zh: str, place: str | None, target: Target, deadline: datetime | None, tz: ZoneInfo
) -> str:
    """「案件…應於 MM/DD HH:MM 前確認收到，已逾期」: the deadline in local time, the place when known."""
    when = deadline.astimezone(tz).strftime("%m/%d %H:%M") if deadline else ""
    return (
        f"【1999逾期】案件{case_no}（{category_name_zh}{'，' + place if place else ''}）"
        f"應於{when}前{_TARGET_ZH[target]}，已逾期，請督導處理。"
    )

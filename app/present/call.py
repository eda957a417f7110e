"""Calls and the cases beside the intake form, as each audience sees them; a case number as it is read aloud."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from app import phones
from app.cases.deadlines import SlaStatus
from app.cases.duplicates import Duplicate
from app.models import Call, Case
from app.present import audience
from app.present.audience import View
from app.present.times import local_iso, roc_datetime
from sla.policy import ClockKind

_CASE_NO = re.compile(r"^(\d{2,3})(\d{4})-(\d+)$")


def spoken_case_no(case_no: str) -> str:
    """1151130-0001 -> "115 1130 0001": the ROC year, the day and the sequence, as an agent reads it to a caller."""
    match = _CASE_NO.match(case_no)
    return " ".join(match.groups()) if match else case_no


def case_line(case: Case, view: View, tz: ZoneInfo, sla: SlaStatus | None) -> dict[str, Any]:
    """A case in a list beside a call (the caller's history, duplicates, my work): enough to recognise it."""
    reporter_name, reporter_phone = audience.reporter(case, view)
    return {
        "case_no": case.case_no,
        "spoken_case_no": spoken_case_no(case.case_no),
        "status": case.status.value,
        "case_type": case.case_type.value,
        "category": case.category.code,
        "category_name_zh": case.category.name_zh,
        "category_name_en": case.category.name_en,
        "district": case.district.code if case.district else None,
        "district_name_zh": case.district.name_zh if case.district else None,
        "district_name_en": case.district.name_en if case.district else None,
        "agency": case.agency.code if case.agency else None,
        "agency_name_zh": case.agency.name_zh if case.agency else None,
        "agency_name_en": case.agency.name_en if case.agency else None,
        "address": case.address,
        "description": audience.text(case.description, view),
        "reporter_name": reporter_name,
        "reporter_phone": reporter_phone,
        "report_count": case.report_count,
        "received_at": local_iso(case.received_at, tz),
        "received_at_roc": roc_datetime(case.received_at, tz),
        "sla_stage": sla.stage if sla else None,
        "sla_due_at_roc": roc_datetime(sla.due_at, tz) if sla and sla.due_at else None,
        "time_left_seconds": None if sla is None or sla.time_left is None else int(sla.time_left.total_seconds()),
        # Working time (petitions): the time left counts office hours, so it must not be read as whole days.
        "time_left_working": sla is not None and sla.clock is ClockKind.WORKING,
        "version": case.version,
    }


def duplicate_view(duplicate: Duplicate, view: View, tz: ZoneInfo, sla: SlaStatus | None) -> dict[str, Any]:
    """A case the new report may repeat, with why it is offered (same place, nearby, same caller)."""
    return {
        **case_line(duplicate.case, view, tz, sla),
        "why": duplicate.why.value,
        "distance": duplicate.distance,
    }


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
        # What was typed when it was not a number ("未顯示號碼"): it may still hold digits.
        "caller_as_given": None if hidden else audience.text(call.caller_as_given, view),
        "agent": call.agent.username if call.agent else None,
        "started_at": local_iso(call.started_at, tz),
        "started_at_roc": roc_datetime(call.started_at, tz),
        "ended_at": local_iso(ended, tz),
        "duration_seconds": int((ended - call.started_at).total_seconds()) if ended else None,
        "case_no": call.case.case_no if call.case is not None else None,
        "article_id": call.article_id,
        "answer_text": audience.text(call.answer_text, view),
        "transferred_to": call.transferred_to,
        "note": audience.text(call.note, view),
    }


def national_phone(e164: str | None) -> str:
    """+886912345678 -> 0912 345 678, as the agent reads it back and types it."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))

"""The timeline's words for the agencies' requests to the centre and a call by hand (words.py uses them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.present.times import roc_datetime
from app.web.labels import L_, label


def _said(key: str, value: Any, **params: Any) -> str:
    return label(key, text=value, **params) if value else ""


def _moment(iso: Any, tz: ZoneInfo) -> str:
    if not isinstance(iso, str):
        return ""
    try:
        return roc_datetime(datetime.fromisoformat(iso), tz)
    except ValueError:
        return iso


def _jurisdiction(p: dict[str, Any], tz: ZoneInfo, names: Any) -> list[str]:
    return [
        _said(L_("timeline.to_agency"), names.agency(p.get("to_agency"))),
        _said(L_("timeline.reason"), p.get("reason")),
    ]


def _extension(p: dict[str, Any], tz: ZoneInfo, names: Any) -> list[str]:
    return [
        _said(L_("timeline.previous_report_due_at"), _moment(p.get("previous_report_due_at"), tz)),
        _said(L_("timeline.report_due_at"), _moment(p.get("report_due_at"), tz)),
        _said(L_("timeline.reason"), p.get("reason")),
    ]


def _reason(p: dict[str, Any], tz: ZoneInfo, names: Any) -> list[str]:
    return [_said(L_("timeline.reason"), p.get("reason"))]


def _called(p: dict[str, Any], tz: ZoneInfo, names: Any) -> list[str]:
    return [_said(L_("timeline.call_note"), p.get("note"))]


REQUEST_DESCRIBERS: dict[str, Callable[[dict[str, Any], ZoneInfo, Any], list[str]]] = {
    "jurisdiction_requested": _jurisdiction,
    "jurisdiction_approved": _jurisdiction,
    "jurisdiction_refused": _reason,
    "extension_requested": _extension,
    "extension_approved": _extension,
    "extension_refused": _reason,
    "agency_called": _called,
}

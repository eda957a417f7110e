"""A case's trail in words (zh-TW or English), for the case page's partials (its deadline, notifications and
calls: words_records).

The shapes come from app/present (masked there for masked views); this module only turns their codes into
the console's words, so the page, the agencies' board and the supervisors' wall say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from app.i18n import is_english
from app.models import CaseEvent
from app.present.audience import View
from app.present.event import event_view
from app.present.times import roc_datetime
from app.reference.cache import ReferenceSnapshot
from app.vocabulary import Role
from app.web.casepage.words_requests import REQUEST_DESCRIBERS
from app.web.labels import L_, label

# Keys built from codes at run time (`label(prefix + code)`), listed so that extraction keeps them.
BUILT_KEYS = (
    L_("channel.phone"),
    L_("channel.counter"),
    L_("channel.web"),
    L_("channel.letter"),
    L_("channel.fax"),
    L_("channel.app"),
    L_("channel.sms"),
    L_("channel.line_video"),
    L_("channel.chatbot"),
    L_("channel.open311"),
    L_("case_type.consultation"),
    L_("case_type.petition"),
    L_("case_type.dispatch"),
    L_("case_type.supervision"),
    L_("case_type.other"),
    L_("call_outcome.consultation_answered"),
    L_("call_outcome.case_opened"),
    L_("call_outcome.added_to_case"),
    L_("call_outcome.progress_inquiry"),
    L_("call_outcome.transferred"),
    L_("call_outcome.hung_up"),
    L_("call_outcome.wrong_number"),
    L_("call_outcome.abusive"),
    L_("notification_status.pending"),
    L_("notification_status.sending"),
    L_("notification_status.sent"),
    L_("notification_status.delivered"),
    L_("notification_status.failed"),
    L_("notification_status.dead"),
    L_("notification_status.cancelled"),
    L_("notification_kind.dispatch_sms"),
    L_("notification_kind.duty_call"),
    L_("notification_kind.supervisor_call"),
    L_("notification_kind.sla_escalation_sms"),
    L_("notification_kind.citizen_receipt"),
    L_("notification_kind.citizen_outcome"),
    L_("notification_channel.sms"),
    L_("notification_channel.voice"),
    L_("route_reason.district_rule"),
    L_("route_reason.category_default"),
    L_("route_reason.no_match"),
    L_("route_reason.manual"),
    L_("route_reason.jurisdiction_request"),
    L_("sla_stage.on_track"),
    L_("sla_stage.at_risk"),
    L_("sla_stage.breached"),
    L_("sla_stage.escalated"),
    L_("sla_stage.paused"),
    L_("sla_stage.met"),
    L_("sla_stage.met_late"),
    L_("sla_stage.stopped"),
    L_("clock.wall"),
    L_("clock.working"),
    L_("rung.call_duty"),
    L_("rung.call_supervisor"),
    L_("ack_via.sms"),
    L_("ack_via.voice"),
    L_("actor.sla"),
    L_("actor.dispatch"),
    L_("deadline.target.ack"),
    L_("deadline.target.report"),
)

# Why an alert was not sent, as alerting writes it (English, for the log) -> the console's words.
_SKIP_REASONS = {"landline: no SMS": L_("skip.landline"), "replied STOP: no SMS": L_("skip.stop")}
_SYSTEM_ACTORS = {"sla": L_("actor.sla"), "dispatch": L_("actor.dispatch")}


def coded(prefix: str, code: str | None) -> str:
    """The console's word for a code (`channel.phone`); an unknown code shows itself rather than a key."""
    if not code:
        return ""
    key = f"{prefix}.{code}"
    text = label(key)
    return code if text == key else text


def phone_text(value: str | None) -> str:
    """+886912345678 as a Taiwanese writes it (0912 345 678); a masked or odd number as given."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def duration_text(seconds: int) -> str:
    """3 天 4 小時 / 2 小時 5 分 / 7 分: coarse enough to read at a glance."""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return label("duration.days_hours", days=days, hours=hours)
    if hours:
        return label("duration.hours_minutes", hours=hours, minutes=minutes)
    return label("duration.minutes", minutes=max(minutes, 0 if seconds < 60 else 1))


@dataclass(frozen=True)
class Names:
    """Agency, category and district names by code, in the request's language."""

    snapshot: ReferenceSnapshot
    english: bool = field(default_factory=is_english)

    def _name(self, rows: dict[str, Any], code: str | None) -> str:
        row = rows.get(code) if code else None
        if row is None:
            return code or ""
        return str(row.name_en if self.english else row.name_zh)

    def agency(self, code: str | None) -> str:
        return self._name(self.snapshot.agencies, code)

    def category(self, code: str | None) -> str:
        return self._name(self.snapshot.categories, code)

    def district(self, code: str | None) -> str:
        return self._name(self.snapshot.districts, code)


@dataclass(frozen=True)
class Entry:
    """One line of the timeline: what happened, when, by whom, and its details as sentences."""

    id: int
    type: str
    title: str
    when: str  # 115/11/30 14:32
    when_iso: str | None
    actor: str
    details: list[str]
    case_link: str | None = None  # another case this event names, when the viewer may open it


def _moment(iso: Any, tz: ZoneInfo) -> str:
    if not isinstance(iso, str):
        return ""
    try:
        return roc_datetime(datetime.fromisoformat(iso), tz)
    except ValueError:
        return iso


def _actor(event: CaseEvent, shown: str | None) -> str:
    if not shown:
        return ""
    role = str(event.payload.get("role") or "")
    if role == "system" or shown in _SYSTEM_ACTORS:
        return label(_SYSTEM_ACTORS.get(shown, "actor.dispatch"))
    if role in {item.value for item in Role}:
        return label("timeline.actor_role", name=shown, role=coded("role", role))
    return shown


def timeline_entry(
    event: CaseEvent, case_no: str, view: View, tz: ZoneInfo, names: Names, hidden: Collection[str] = ()
) -> Entry:
    """One event in words: the title from `event.<type>`, then the parts of its payload a person needs."""
    shown = event_view(event, case_no, view, tz, hidden)
    payload: dict[str, Any] = shown["payload"]
    describe = _DESCRIBERS.get(shown["event_type"], _nothing)
    link = next((payload[key] for key in ("into", "merged") if payload.get(key)), None)
    return Entry(
        id=shown["id"],
        type=shown["event_type"],
        title=coded("event", shown["event_type"]),
        when=roc_datetime(event.occurred_at, tz),
        when_iso=shown["occurred_at"],
        actor=_actor(event, shown["actor"]),
        details=[line for line in describe(payload, tz, names) if line],
        case_link=link,
    )


def _nothing(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    return []  # an event type without details to tell: its title says it all


def _said(key: str, value: Any, **params: Any) -> str:
    return label(key, text=value, **params) if value else ""


def _created(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    return [
        label(
            "timeline.created",
            channel=coded("channel", p.get("channel")),
            case_type=coded("case_type", p.get("case_type")),
            category=names.category(p.get("category")),
        ),
        _said(L_("timeline.district"), names.district(p.get("district"))),
        _said(L_("timeline.received_at"), _moment(p.get("received_at"), tz)),
    ]


def _assigned(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    lines = [
        label("timeline.assigned", agency=names.agency(p.get("agency")), reason=coded("route_reason", p.get("reason")))
    ]
    if p.get("previous_agency"):
        lines.append(label("timeline.moved_from", agency=names.agency(p["previous_agency"])))
    if isinstance(p.get("time_with_previous_agency_seconds"), int):
        lines.append(
            label("timeline.time_with_previous", duration=duration_text(p["time_with_previous_agency_seconds"]))
        )
    return lines


def _routing_failed(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    return [label("timeline.routing_failed")]


def _acknowledged(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    if p.get("implied_by") == "report":
        return [label("timeline.ack_implied")]
    if p.get("via"):
        return [label("timeline.ack_via", via=coded("ack_via", p["via"]), phone=phone_text(p.get("phone")))]
    return []


def _text(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    return [p.get("text") or ""]


def _closed(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    return [_said(L_("timeline.resolution"), p.get("resolution"))]


def _reported(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    photos = p.get("photos")
    return [
        _said(L_("timeline.outcome"), coded("report_outcome", p.get("outcome"))),
        p.get("text") or "",
        label("timeline.photos", count=photos) if isinstance(photos, int) and photos else "",
    ]


def _returned(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    return [
        _said(L_("timeline.reason"), p.get("reason")),
        _said(L_("timeline.returned_outcome"), coded("report_outcome", p.get("outcome"))),
    ]


def _reason(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    return [_said(L_("timeline.reason"), p.get("reason"))]


def _reopened(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    previous = coded("case_status", p.get("previous_status"))
    return [_said(L_("timeline.reason"), p.get("reason")), _said(L_("timeline.previous_status"), previous)]


def _merged(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    into = label("timeline.merged_into", case_no=p["into"]) if p.get("into") else label("timeline.merged_into_hidden")
    return [into, _said(L_("timeline.reason"), p.get("reason"))]


def _merge_received(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    if p.get("merged"):
        return [label("timeline.merge_received", case_no=p["merged"])]
    return [label("timeline.merge_received_hidden")]


def _resumed(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    paused = p.get("paused_seconds")
    return [
        label("timeline.paused_for", duration=duration_text(paused)) if isinstance(paused, int) else "",
        _said(L_("timeline.report_due"), _moment(p.get("report_due_at"), tz)),
    ]


def _recomputed(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    lines = [_said(L_("timeline.reason"), p.get("reason"))]
    for target in ("ack", "report"):
        before, after = _moment(p.get(f"previous_{target}_due_at"), tz), _moment(p.get(f"{target}_due_at"), tz)
        if before != after:
            lines.append(
                label("timeline.moved_deadline", target=coded("deadline.target", target), before=before, after=after)
            )
    return lines


def _milestone(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    lines = [
        label(
            "timeline.deadline_of",
            target=coded("deadline.target", p.get("target")),
            time=_moment(p.get("deadline"), tz),
        )
    ]
    if p.get("agency"):
        lines.append(_said(L_("timeline.agency"), names.agency(p["agency"])))
    return lines


def _skipped(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    reason = p.get("reason") or ""
    why = label(_SKIP_REASONS[reason]) if reason in _SKIP_REASONS else reason
    return [label("timeline.skipped", phone=phone_text(p.get("phone")), reason=why)]


def _dead(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    return [
        label(
            "timeline.dead",
            channel=coded("notification_channel", p.get("channel")),
            phone=phone_text(p.get("recipient")),
        ),
        label("timeline.dead_advice"),
    ]


def _ladder(p: dict[str, Any], tz: ZoneInfo, names: Names) -> list[str]:
    calls = p.get("calls") or []
    return [
        label("timeline.ladder_step", step=p.get("step", ""), rung=coded("rung", p.get("rung"))),
        label("timeline.ladder_no_one")
        if p.get("no_one_to_call")
        else label("timeline.ladder_calls", count=len(calls)),
    ]


_DESCRIBERS: dict[str, Callable[[dict[str, Any], ZoneInfo, Names], list[str]]] = {
    "case_created": _created,
    "case_assigned": _assigned,
    "routing_failed": _routing_failed,
    "case_acknowledged": _acknowledged,
    "note_added": _text,
    "case_reported": _reported,
    "case_returned": _returned,
    "case_closed": _closed,
    "case_reopened": _reopened,
    "case_merged": _merged,
    "case_merge_received": _merge_received,
    "case_cancelled": _reason,
    "sla_paused": _reason,
    "sla_resumed": _resumed,
    "sla_recomputed": _recomputed,
    "sla_warning": _milestone,
    "sla_breached": _milestone,
    "sla_escalated": _milestone,
    "alert_skipped": _skipped,
    "alert_dead": _dead,
    "alert_escalated": _ladder,
    **REQUEST_DESCRIBERS,
}

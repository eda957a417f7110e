"""The calendar page: the year's days that are not ordinary, and declaring a day closed (停班) or open.

Declaring goes in two steps without script: "preview" counts the open cases whose deadlines would
move (nothing written), "confirm" makes the change (app.cases.calendar.set_override, one transaction
with the recomputed deadlines, their `sla_recomputed` events and the change log entry).
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.cases import calendar as service
from app.cases.official_calendar import calendar_status
from app.db import current_session, utcnow
from app.errors import N_, DomainError, InvalidInput
from app.i18n import message
from app.present.times import roc_day
from app.settings_access import current_settings
from app.web.admin_rules.base import ADMINS, bp, refusal
from app.web.guards import roles_required
from app.web.labels import L_
from sla.calendar import FIRST_YEAR, LAST_YEAR, DayKind

FIELDS = ("day", "state", "reason", "from", "until")
# Day kinds and states the template builds keys for ("cal.kind." ~ kind), listed so that extraction keeps them.
BUILT_KEYS = (
    L_("cal.kind.holiday"),
    L_("cal.kind.makeup_workday"),
    L_("cal.kind.closed"),
    L_("cal.kind.opened"),
    L_("cal.kind.partly_closed"),
    L_("cal.kind.partly_opened"),
    L_("cal.kind.weekend"),
    L_("cal.kind.working"),
    L_("cal.weekday.0"),
    L_("cal.weekday.1"),
    L_("cal.weekday.2"),
    L_("cal.weekday.3"),
    L_("cal.weekday.4"),
    L_("cal.weekday.5"),
    L_("cal.weekday.6"),
    L_("ar.calendar.preview_closed"),
    L_("ar.calendar.preview_opened"),
)
ORDINARY = frozenset({DayKind.WORKING, DayKind.WEEKEND})


def _today() -> date:
    return utcnow().astimezone(current_settings().timezone).date()


@bp.route("/console/admin/rules/calendar")
@roles_required(ADMINS)
def calendar_page() -> ResponseReturnValue:
    year = request.args.get("year", type=int) or _today().year
    year = min(max(year, FIRST_YEAR), LAST_YEAR)
    return _page(year, dict.fromkeys(FIELDS, ""), errors={})


@bp.route("/console/admin/rules/calendar", methods=["POST"])
@roles_required(ADMINS)
def declare() -> ResponseReturnValue:
    """`do=preview` counts what would move; `do=confirm` declares the day."""
    values = {name: request.form.get(name, "").strip()[:200] for name in FIELDS}
    preview = request.form.get("do") != "confirm"
    session = current_session()
    try:
        day, working, start, end = _parse(values)
        result = service.set_override(
            session=session,
            actor=g.actor,
            day=day,
            working=working,
            reason=values["reason"],
            start=start,
            end=end,
            preview=preview,
        )
    except DomainError as refused:
        session.rollback()
        year = _year_of(values["day"])
        return _page(year, values, errors=refusal(refused)), refused.status
    if preview:
        shown = {"moved": result.recomputed, "overdue": result.overdue, "day": roc_day(day), "working": working}
        return _page(day.year, values, errors={}, preview=shown)
    flash(message("admin.calendar.declared", day=roc_day(day), count=result.recomputed))
    return redirect(url_for("admin_rules.calendar_page", year=day.year))


@bp.route("/console/admin/rules/calendar/<string:day>/remove", methods=["POST"])
@roles_required(ADMINS)
def remove(day: str) -> ResponseReturnValue:
    session = current_session()
    try:
        when = date.fromisoformat(day)
    except ValueError:
        return _page(_today().year, dict.fromkeys(FIELDS, ""), errors={}), 404
    try:
        result = service.remove_override(session=session, actor=g.actor, day=when)
    except DomainError as refused:
        session.rollback()
        return _page(when.year, dict.fromkeys(FIELDS, ""), errors=refusal(refused)), refused.status
    flash(message("admin.calendar.removed", day=roc_day(when), count=result.recomputed))
    return redirect(url_for("admin_rules.calendar_page", year=when.year))


def _parse(values: dict[str, str]) -> tuple[date, bool, time | None, time | None]:
    fields: dict[str, list[str]] = {}
    day = None
    try:
        day = date.fromisoformat(values["day"])
    except ValueError:
        fields["day"] = [N_("field.bad_date") if values["day"] else N_("field.required")]
    if values["state"] not in ("closed", "opened"):
        fields["state"] = [N_("field.required")]
    if not values["reason"]:
        fields["reason"] = [N_("field.required")]
    clocks: dict[str, time | None] = {}
    for name in ("from", "until"):
        try:
            clocks[name] = time.fromisoformat(values[name]) if values[name] else None
        except ValueError:
            fields[name] = [N_("admin.field.bad_time")]
    if fields or day is None:
        raise InvalidInput("validation.failed", fields=fields)
    return day, values["state"] == "opened", clocks["from"], clocks["until"]


def _year_of(text: str) -> int:
    try:
        year = date.fromisoformat(text).year
    except ValueError:
        return _today().year
    return min(max(year, FIRST_YEAR), LAST_YEAR)


def _page(year: int, values: dict[str, str], *, errors: dict[str, Any], preview: dict[str, Any] | None = None) -> str:
    session = current_session()
    shown = service.calendar_year(session, year)
    days = [
        {
            "iso": entry.day.isoformat(),
            "roc": roc_day(entry.day),
            "weekday": entry.day.weekday(),
            "kind": entry.kind.value,
            "name": entry.name or "",
            "range": _range(entry.start, entry.end),
        }
        for entry in shown.days
        if entry.kind not in ORDINARY
    ]
    overrides = [
        {
            "iso": row.day.isoformat(),
            "roc": roc_day(row.day),
            "working": row.working,
            "reason": row.reason,
            "range": _range(row.starts_at, row.ends_at),
            "past": row.day < _today(),
        }
        for row in shown.overrides
    ]
    status = calendar_status(session, today=_today())
    published = [state.year for state in status.years if state.official]
    return render_template(
        "web/admin_rules/calendar.html",
        year=year,
        official=shown.official is not None,
        source=shown.source,
        published=published,
        days=days,
        overrides=overrides,
        values=values,
        errors=errors,
        preview=preview,
        first_year=FIRST_YEAR,
        last_year=LAST_YEAR,
    )


def _range(start: time | None, end: time | None) -> str:
    if start is None and end is None:
        return ""
    return f"{(start or time(0)).strftime('%H:%M')}–{end.strftime('%H:%M') if end else '24:00'}"

"""Agencies (names, district, active, duty and supervisor phones) and their duty rosters (值班表)."""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app import phones
from app.admin_audit import StaleEdit
from app.db import current_session, utcnow
from app.errors import N_, DomainError, InvalidInput, NotFound
from app.i18n import is_english, message
from app.models import Agency
from app.reference import agencies as service
from app.reference import rosters
from app.reference.cache import reference_cache
from app.settings_access import current_settings
from app.web.admin import ADMIN_ROLES, bp, field_errors, seen_snapshot
from app.web.casepage.words import phone_text
from app.web.guards import roles_required
from app.web.labels import L_, label
from dispatch.roster import DAY_TOKENS, override_overlaps, weekly_overlaps

FIELDS = ("name_zh", "name_en", "district", "duty_phones", "supervisor_phones")
BUILT_KEYS = (
    L_("roster.day.mon"),
    L_("roster.day.tue"),
    L_("roster.day.wed"),
    L_("roster.day.thu"),
    L_("roster.day.fri"),
    L_("roster.day.sat"),
    L_("roster.day.sun"),
    L_("roster.day.holiday"),
    L_("roster.day.makeup"),
)


def _phone_views(numbers: list[str]) -> list[dict[str, Any]]:
    """Each number as people write it, with landlines flagged: they take calls, not the dispatch SMS."""
    return [{"number": phone_text(number), "calls_only": not phones.is_mobile(number)} for number in numbers]


@bp.route("/console/admin/agencies", methods=["GET", "POST"])
@roles_required(ADMIN_ROLES)
def agencies() -> ResponseReturnValue:
    """The list, and a form for a new agency (its code cannot change later: cases and rules name it)."""
    if request.method == "GET":
        return _agencies_page({}, {})
    values: dict[str, Any] = {name: request.form.get(name, "")[:2000] for name in ("code", *FIELDS)}
    try:
        service.create_agency(session=current_session(), actor=g.actor, code=values["code"], given=_input(values, True))
    except DomainError as refused:
        return _agencies_page(values, field_errors(refused)), refused.status
    flash(message("admin.saved"))
    return redirect(url_for("admin.agency", code=values["code"].strip()))


def _input(values: dict[str, Any], active: bool) -> service.AgencyInput:
    return service.AgencyInput(
        name_zh=values["name_zh"],
        name_en=values["name_en"],
        district=values["district"].strip() or None,
        active=active,
        duty_phones=values["duty_phones"],
        supervisor_phones=values["supervisor_phones"],
    )


def _agencies_page(values: dict[str, Any], errors: dict[str, list[str]]) -> str:
    english = is_english()
    rows = [
        {
            "code": agency.code,
            "name": agency.name_en if english else agency.name_zh,
            "district": (agency.district.name_en if english else agency.district.name_zh) if agency.district else "—",
            "active": agency.active,
            "duty": _phone_views(agency.duty_phones),
            "supervisors": _phone_views(agency.supervisor_phones),
        }
        for agency in service.list_agencies(current_session())
    ]
    return render_template(
        "web/admin/agencies.html", agencies=rows, values=values, errors=errors, districts=_district_choices()
    )


def _values(agency: Agency) -> dict[str, Any]:
    return {
        "name_zh": agency.name_zh,
        "name_en": agency.name_en,
        "district": agency.district.code if agency.district else "",
        "active": agency.active,
        "duty_phones": "\n".join(phone_text(number) for number in agency.duty_phones),
        "supervisor_phones": "\n".join(phone_text(number) for number in agency.supervisor_phones),
    }


def _district_choices() -> list[tuple[str, str]]:
    english = is_english()
    districts = reference_cache.snapshot(current_session()).districts.values()
    return sorted((row.code, row.name_en if english else row.name_zh) for row in districts)


def _agency_page(
    code: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    stale: dict[str, Any] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    session = current_session()
    session.expire_all()
    agency = service.find_agency(session, code)
    snapshot = service.snapshot(agency)
    page = render_template(
        "web/admin/agency.html",
        agency=agency,
        values=values or _values(agency),
        errors=errors or {},
        stale=stale,
        seen=json.dumps(snapshot, ensure_ascii=False),
        districts=_district_choices(),
        duty=_phone_views(agency.duty_phones),
    )
    return page, status


@bp.route("/console/admin/agencies/<code>", methods=["GET", "POST"])
@roles_required(ADMIN_ROLES)
def agency(code: str) -> ResponseReturnValue:
    if request.method == "GET":
        return _agency_page(code)
    values: dict[str, Any] = {name: request.form.get(name, "")[:2000] for name in FIELDS}
    values["active"] = request.form.get("active") == "1"
    given = _input(values, values["active"])
    try:
        service.update_agency(session=current_session(), actor=g.actor, code=code, given=given, seen=seen_snapshot())
    except StaleEdit as stale:
        return _agency_page(code, values=values, stale=stale.changes, status=409)
    except DomainError as refused:
        return _agency_page(code, values=values, errors=field_errors(refused), status=refused.status)
    flash(message("admin.saved"))
    return redirect(url_for("admin.agency", code=code))


# --- the duty roster -------------------------------------------------------------------------------------------


def _when(moment: datetime) -> str:
    local = moment.astimezone(current_settings().timezone)
    return local.strftime("%m-%d %H:%M")


def _roster_page(
    code: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    overlap: list[str] | None = None,
    form: str | None = None,
) -> ResponseReturnValue:
    session = current_session()
    session.expire_all()
    agency = service.find_agency(session, code)
    now = utcnow()
    shifts = rosters.weekly_rows(session, agency.id)
    entries = [rosters.weekly_entry(row) for row in shifts]
    tz = current_settings().timezone
    overrides = rosters.override_rows(session, agency.id, now)
    override_entries = [rosters.override_entry(row, tz) for row in overrides]
    current, upcoming = rosters.now_and_next(session, agency.id, now)
    page = render_template(
        "web/admin/roster.html",
        agency=agency,
        agency_name=agency.name_en if is_english() else agency.name_zh,
        shifts=[
            {
                "id": row.id,
                "name": row.name,
                "phone": phone_text(row.phone),
                "calls_only": not phones.is_mobile(row.phone),
                "days": [label(f"roster.day.{token}") for token in DAY_TOKENS if token in entry.days],
                "hours": f"{row.start_time:%H:%M}–{row.end_time:%H:%M}"
                + (f" {label('roster.next_day')}" if row.end_time <= row.start_time else ""),
                "overlaps": [f"{other.name} {phone_text(other.phone)}" for other in weekly_overlaps(entry, entries)],
            }
            for row, entry in zip(shifts, entries, strict=True)
        ],
        overrides=[
            {
                "id": row.id,
                "name": row.name,
                "phone": phone_text(row.phone),
                "from": _when(row.starts_at),
                "until": _when(row.ends_at),
                "reason": row.reason,
                "overlaps": [
                    f"{other.name} {phone_text(other.phone)}" for other in override_overlaps(entry, override_entries)
                ],
            }
            for row, entry in zip(overrides, override_entries, strict=True)
        ],
        now_on_duty=[f"{entry.name} {phone_text(entry.phone)}" for entry in current],
        fallback=[phone_text(number) for number in agency.duty_phones],
        upcoming=(_when(upcoming[0]), [f"{e.name} {phone_text(e.phone)}" for e in upcoming[1]]) if upcoming else None,
        day_tokens=[(token, label(f"roster.day.{token}")) for token in DAY_TOKENS],
        values=values or {},
        errors=errors or {},
        overlap=overlap,
        form=form,
    )
    return page, status


@bp.route("/console/admin/agencies/<code>/roster")
@roles_required(ADMIN_ROLES)
def roster(code: str) -> ResponseReturnValue:
    return _roster_page(code)


def _time(text: str, field: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("validation.failed", fields={field: [N_("field.bad_time")]}) from None


def _moment(text: str, field: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=current_settings().timezone)
    except ValueError:
        raise InvalidInput("validation.failed", fields={field: ["field.bad_date"]}) from None


@bp.route("/console/admin/agencies/<code>/roster/shifts", methods=["POST"])
@roles_required(ADMIN_ROLES)
def add_shift(code: str) -> ResponseReturnValue:
    values: dict[str, Any] = {name: request.form.get(name, "")[:200] for name in ("name", "phone", "start", "end")}
    values["days"] = request.form.getlist("days")
    try:
        rosters.add_shift(
            session=current_session(),
            actor=g.actor,
            agency_code=code,
            name=values["name"],
            phone=values["phone"],
            days=values["days"],
            start=_time(values["start"], "start"),
            end=_time(values["end"], "end"),
            confirm_overlap=request.form.get("confirm_overlap") == "1",
        )
    except rosters.RosterOverlap as overlap:
        return _roster_page(code, values=values, overlap=overlap.overlapping, form="shift", status=409)
    except DomainError as refused:
        return _roster_page(code, values=values, errors=field_errors(refused), form="shift", status=refused.status)
    flash(message("roster.saved"))
    return redirect(url_for("admin.roster", code=code))


@bp.route("/console/admin/agencies/<code>/roster/overrides", methods=["POST"])
@roles_required(ADMIN_ROLES)
def add_override(code: str) -> ResponseReturnValue:
    names = ("o_name", "o_phone", "o_from", "o_until", "o_reason")
    values: dict[str, Any] = {name: request.form.get(name, "")[:200] for name in names}
    try:
        rosters.add_override(
            session=current_session(),
            actor=g.actor,
            agency_code=code,
            name=values["o_name"],
            phone=values["o_phone"],
            starts_at=_moment(values["o_from"], "starts_at"),
            ends_at=_moment(values["o_until"], "ends_at"),
            reason=values["o_reason"],
            confirm_overlap=request.form.get("confirm_overlap") == "1",
        )
    except rosters.RosterOverlap as overlap:
        return _roster_page(code, values=values, overlap=overlap.overlapping, form="override", status=409)
    except DomainError as refused:
        renamed = {"name": "o_name", "phone": "o_phone", "starts_at": "o_from", "ends_at": "o_until"}
        errors = {renamed.get(key, key): texts for key, texts in field_errors(refused).items()}
        return _roster_page(code, values=values, errors=errors, form="override", status=refused.status)
    flash(message("roster.saved"))
    return redirect(url_for("admin.roster", code=code))


@bp.route("/console/admin/agencies/<code>/roster/<kind>/<int:entry_id>/delete", methods=["POST"])
@roles_required(ADMIN_ROLES)
def remove_entry(code: str, kind: str, entry_id: int) -> ResponseReturnValue:
    if kind not in ("shift", "override"):
        raise NotFound("http.not_found")
    try:
        rosters.remove_entry(session=current_session(), actor=g.actor, agency_code=code, kind=kind, entry_id=entry_id)
    except DomainError as refused:
        return _roster_page(code, errors=field_errors(refused), status=refused.status)
    flash(message("roster.removed"))
    return redirect(url_for("admin.roster", code=code))

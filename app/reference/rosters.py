"""Duty rosters (值班表) in the database: who of an agency is on duty now, and the administrators' edits.

The rule is dispatch/roster.py (pure); this module reads an agency's rows and the government calendar
for it, and writes roster entries with their line in the administrators' change log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import phones
from app.access import Actor
from app.admin_audit import record_admin_change
from app.db import write_transaction
from app.errors import N_, Conflict, InvalidInput, NotFound
from app.models import Agency, RosterOverride, RosterShift
from app.reference.freshness import cached
from app.reference.government_calendar import cached_calendar, load_calendar, roster_day_type
from app.settings_access import current_settings
from dispatch.roster import (
    DAY_TOKENS,
    Entry,
    OverrideEntry,
    WeeklyEntry,
    next_change,
    on_duty,
    override_overlaps,
    weekly_overlaps,
)

NAME_MAX = 80


@dataclass(frozen=True)
class OnDuty:
    """Whom to alert: the people on duty (from the roster), or the agency's duty phones when nobody is."""

    contacts: list[tuple[str, str]]  # (name, E.164 phone)
    from_roster: bool


@dataclass(frozen=True)
class Roster:
    weekly: list[WeeklyEntry]
    overrides: list[OverrideEntry]  # local wall times, those not yet ended


def _tz() -> ZoneInfo:
    return current_settings().timezone


def weekly_entry(row: RosterShift) -> WeeklyEntry:
    return WeeklyEntry(row.id, row.name, row.phone, frozenset(row.days.split(",")), row.start_time, row.end_time)


def override_entry(row: RosterOverride, tz: ZoneInfo) -> OverrideEntry:
    return OverrideEntry(row.id, row.name, row.phone, _local(row.starts_at, tz), _local(row.ends_at, tz))


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    """The city's wall time, naive: the roster rule counts in it (Taipei has no daylight saving)."""
    return moment.astimezone(tz).replace(tzinfo=None)


def load_roster(session: Session, agency_id: int, now: datetime) -> Roster:
    tz = _tz()
    shifts = session.scalars(select(RosterShift).where(RosterShift.agency_id == agency_id).order_by(RosterShift.id))
    overrides = session.scalars(
        select(RosterOverride)
        .where(RosterOverride.agency_id == agency_id, RosterOverride.ends_at > now)
        .order_by(RosterOverride.starts_at, RosterOverride.id)
    )
    return Roster([weekly_entry(row) for row in shifts], [override_entry(row, tz) for row in overrides])


def duty_now(session: Session, agency: Agency, now: datetime) -> OnDuty:
    """The contacts on duty at `now` for this agency, falling back to its duty phones (names: the agency's).
    Roster and calendar come from this process's cache (app/reference/freshness.py): every dispatch reads them."""
    # Every agency's roster, cached with the overrides that had not ended a day before it was loaded: enough
    # for any later `now` (one that ended since covers no `now`, on_duty checks). An earlier `now` (a replay, a
    # test) reads afresh. All at once: a few hundred rows for a city, and no intake waits on its agency's first.
    since, rosters = cached(session, "rosters", lambda: _rosters_since(session, now - timedelta(days=1)))
    roster = rosters.get(agency.id, _NO_ROSTER) if now >= since else load_roster(session, agency.id, now)
    if roster.weekly or roster.overrides:
        calendar = cached_calendar(session)
        local = now.astimezone(_tz()).replace(tzinfo=None)
        entries = on_duty(local, roster.weekly, roster.overrides, lambda day: roster_day_type(calendar, day))
        if entries:
            return OnDuty([(entry.name, entry.phone) for entry in entries], from_roster=True)
    return OnDuty([(agency.name_zh, phone) for phone in agency.duty_phones], from_roster=False)


_NO_ROSTER = Roster([], [])


def _rosters_since(session: Session, since: datetime) -> tuple[datetime, dict[int, Roster]]:
    """Every agency's roster with the overrides not ended at `since`, as load_roster reads one."""
    tz = _tz()
    rosters: dict[int, Roster] = {}
    for shift in session.scalars(select(RosterShift).order_by(RosterShift.id)):
        rosters.setdefault(shift.agency_id, Roster([], [])).weekly.append(weekly_entry(shift))
    overrides = session.scalars(
        select(RosterOverride)
        .where(RosterOverride.ends_at > since)
        .order_by(RosterOverride.starts_at, RosterOverride.id)
    )
    for override in overrides:
        rosters.setdefault(override.agency_id, Roster([], [])).overrides.append(override_entry(override, tz))
    return since, rosters


def now_and_next(
    session: Session, agency_id: int, now: datetime
) -> tuple[list[Entry], tuple[datetime, list[Entry]] | None]:
    """Who is on duty now and who comes next (with when, aware in the city's time zone), per the roster."""
    roster = load_roster(session, agency_id, now)
    if not (roster.weekly or roster.overrides):
        return [], None
    calendar = load_calendar(session)
    tz = _tz()
    local = now.astimezone(tz).replace(tzinfo=None)
    day_type = lambda day: roster_day_type(calendar, day)  # noqa: E731
    current = on_duty(local, roster.weekly, roster.overrides, day_type)
    upcoming = next_change(local, roster.weekly, roster.overrides, day_type)
    if upcoming is None:
        return current, None
    return current, (upcoming[0].replace(tzinfo=tz), upcoming[1])


def roster_phones(session: Session, agency_id: int) -> set[str]:
    """Every phone the agency's roster names: a reply or keypress from one of them speaks for the agency."""
    shifts = session.scalars(select(RosterShift.phone).where(RosterShift.agency_id == agency_id))
    overrides = session.scalars(select(RosterOverride.phone).where(RosterOverride.agency_id == agency_id))
    return {*shifts, *overrides}


def agencies_of_roster_phone(session: Session, phone: str) -> set[int]:
    shifts = session.scalars(select(RosterShift.agency_id).where(RosterShift.phone == phone))
    overrides = session.scalars(select(RosterOverride.agency_id).where(RosterOverride.phone == phone))
    return {*shifts, *overrides}


# --- the administrators' edits -------------------------------------------------------------------------------


def _name_and_phone(name: str, phone: str) -> tuple[str, str]:
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if not name or len(name) > NAME_MAX:
        errors["name"] = [N_("field.required")]
    normalised = phones.try_taiwanese(phone)
    if normalised is None:
        errors["phone"] = [N_("roster.phone_invalid")]
    if errors or normalised is None:
        raise InvalidInput("validation.failed", fields=errors)
    return name, normalised


def _shift_snapshot(row: RosterShift | WeeklyEntry) -> dict[str, object]:
    days = row.days if isinstance(row, RosterShift) else ",".join(sorted(row.days))
    start = row.start_time if isinstance(row, RosterShift) else row.start
    end = row.end_time if isinstance(row, RosterShift) else row.end
    return {
        "name": row.name,
        "phone": row.phone,
        "days": days,
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }


def add_shift(
    *,
    session: Session,
    actor: Actor,
    agency_code: str,
    name: str,
    phone: str,
    days: list[str],
    start: time,
    end: time,
    confirm_overlap: bool = False,
) -> RosterShift:
    """A weekly shift; one that overlaps others is refused (409, the overlaps listed) unless confirmed."""
    name, phone = _name_and_phone(name, phone)
    chosen = [token for token in DAY_TOKENS if token in days]
    if not chosen or len(chosen) != len(set(days)):
        raise InvalidInput("validation.failed", fields={"days": [N_("roster.days_required")]})
    with write_transaction(session):
        agency = _agency(session, agency_code)
        row = RosterShift(
            agency_id=agency.id, name=name, phone=phone, days=",".join(chosen), start_time=start, end_time=end
        )
        candidate = WeeklyEntry(0, name, phone, frozenset(chosen), start, end)
        others = [
            weekly_entry(other)
            for other in session.scalars(select(RosterShift).where(RosterShift.agency_id == agency.id))
        ]
        overlapping = weekly_overlaps(candidate, others)
        if overlapping and not confirm_overlap:
            raise RosterOverlap([f"{entry.name} {entry.phone}" for entry in overlapping])
        session.add(row)
        session.flush()
        record_admin_change(
            session,
            actor=actor,
            object_type="roster_shift",
            object_key=f"{agency.code}#{row.id}",
            action="created",
            before=None,
            after=_shift_snapshot(row),
        )
    return row


class RosterOverlap(Conflict):
    """The new entry would be on duty together with others: the page lists them and asks to confirm."""

    def __init__(self, overlapping: list[str]) -> None:
        super().__init__(
            N_("roster.overlap"), fields={"confirm_overlap": [N_("roster.overlap")]}, entries="、".join(overlapping)
        )
        self.overlapping = overlapping


def add_override(
    *,
    session: Session,
    actor: Actor,
    agency_code: str,
    name: str,
    phone: str,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    confirm_overlap: bool = False,
) -> RosterOverride:
    """A one-off duty (aware datetimes); it beats the weekly shifts while it lasts."""
    name, phone = _name_and_phone(name, phone)
    if ends_at <= starts_at:
        raise InvalidInput("validation.failed", fields={"ends_at": [N_("roster.bad_range")]})
    with write_transaction(session):
        agency = _agency(session, agency_code)
        tz = _tz()
        row = RosterOverride(
            agency_id=agency.id,
            name=name,
            phone=phone,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason.strip()[:200],
        )
        others = [
            override_entry(other, tz)
            for other in session.scalars(select(RosterOverride).where(RosterOverride.agency_id == agency.id))
        ]
        overlapping = override_overlaps(override_entry(row, tz), others)
        if overlapping and not confirm_overlap:
            raise RosterOverlap([f"{entry.name} {entry.phone}" for entry in overlapping])
        session.add(row)
        session.flush()
        record_admin_change(
            session,
            actor=actor,
            object_type="roster_override",
            object_key=f"{agency.code}#{row.id}",
            action="created",
            before=None,
            after=_override_snapshot(row, tz),
        )
    return row


def _override_snapshot(row: RosterOverride, tz: ZoneInfo) -> dict[str, object]:
    return {
        "name": row.name,
        "phone": row.phone,
        "reason": row.reason,
        "starts_at": row.starts_at.astimezone(tz).isoformat(timespec="minutes"),
        "ends_at": row.ends_at.astimezone(tz).isoformat(timespec="minutes"),
    }


def remove_entry(*, session: Session, actor: Actor, agency_code: str, kind: str, entry_id: int) -> None:
    """Remove a weekly shift or an override of this agency (404 when it is not there any more)."""
    model: type[RosterShift] | type[RosterOverride] = RosterShift if kind == "shift" else RosterOverride
    with write_transaction(session):
        agency = _agency(session, agency_code)
        row = cast(
            "RosterShift | RosterOverride | None",
            session.scalar(select(model).where(model.id == entry_id, model.agency_id == agency.id)),
        )
        if row is None:
            raise NotFound("roster.entry_gone")
        before = _shift_snapshot(row) if isinstance(row, RosterShift) else _override_snapshot(row, _tz())
        session.execute(delete(model).where(model.id == entry_id))
        record_admin_change(
            session,
            actor=actor,
            object_type=f"roster_{'shift' if kind == 'shift' else 'override'}",
            object_key=f"{agency.code}#{entry_id}",
            action="deleted",
            before=before,
            after=None,
        )


def _agency(session: Session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise NotFound("agency.not_found")
    return agency


def weekly_rows(session: Session, agency_id: int) -> list[RosterShift]:
    return list(
        session.scalars(
            select(RosterShift)
            .where(RosterShift.agency_id == agency_id)
            .order_by(RosterShift.start_time, RosterShift.id)
        )
    )


def override_rows(session: Session, agency_id: int, now: datetime) -> list[RosterOverride]:
    """Overrides not yet over (ended ones stay in the change log)."""
    return list(
        session.scalars(
            select(RosterOverride)
            .where(RosterOverride.agency_id == agency_id, RosterOverride.ends_at > now)
            .order_by(RosterOverride.starts_at)
        )
    )

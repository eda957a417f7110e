"""Who receives what: the rooms a user is entitled to, and the rooms an event goes to. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from app.access import Actor
from app.present.audience import View, view_of
from app.vocabulary import Role, Room

# Staff see every case in full; agencies see their own, with the reporter's phone masked.
STAFF_ROOMS = (Room.AGENTS, Room.SUPERVISORS)


def rooms_for(actor: Actor, agency_code: str | None) -> frozenset[str]:
    """Every room this user is entitled to; the server joins them, a client cannot ask for more."""
    rooms = {Room.user(actor.user_id)} if actor.user_id is not None else set()
    if actor.role is Role.AGENCY and agency_code:
        rooms.add(Room.agency(agency_code))
    elif actor.role is Role.AGENT:
        rooms.add(Room.AGENTS)
    elif actor.role in (Role.SUPERVISOR, Role.ADMIN):
        rooms.add(Room.SUPERVISORS)
    elif actor.role is Role.MAYOR_OFFICE:
        rooms.add(Room.MAYOR_OFFICE)  # statistics only: no case events
    return frozenset(rooms)


def view_for(actor: Actor) -> View | None:
    """How this user sees events; None for the mayor's office, which receives counters only."""
    if actor.role is Role.MAYOR_OFFICE:
        return None
    return view_of(actor)


@dataclass(frozen=True)
class Delivery:
    rooms: tuple[str, ...]
    view: View


def deliveries(agency_code: str | None, left_agency_code: str | None) -> list[Delivery]:
    """The rooms one event goes to: staff in full, the case's agency (and the one it left) masked."""
    targets = [Delivery(STAFF_ROOMS, View.STAFF)]
    agency_rooms = tuple(Room.agency(code) for code in dict.fromkeys((agency_code, left_agency_code)) if code)
    if agency_rooms:
        targets.append(Delivery(agency_rooms, View.AGENCY))
    return targets

"""The one rule for what a role sees of a reporter, of free text and of other agencies' cases."""

from __future__ import annotations

import enum
from collections.abc import Collection
from typing import Any

from app import phones
from app.access import Actor
from app.models import Case

# Payload keys that say who acted: shown once, as the event's `actor`, never inside the payload.
_ACTOR_KEYS = ("actor", "role")
_REPORTER_KEYS = ("reporter_name", "reporter_phone")


class View(enum.StrEnum):
    """STAFF (the centre's agents, supervisors, administrators) see cases in full; AGENCY (responders
    and the mayor's office) see the reporter's phone masked, anonymous reporters hidden, and every
    phone number written in free text masked."""

    STAFF = "staff"
    AGENCY = "agency"


def view_of(actor: Actor) -> View:
    return View.AGENCY if actor.sees_masked_phones else View.STAFF


def reporter(case: Case, view: View) -> tuple[str | None, str | None]:
    """The reporter's name and phone as this view may see them."""
    if view is View.STAFF:
        return case.reporter_name, case.reporter_phone
    if case.anonymous:
        return None, None
    return case.reporter_name, phones.mask(case.reporter_phone)


def text(value: str | None, view: View) -> str | None:
    """Free text (a description, a note, a report back) with phone numbers masked for a masked view."""
    if value is None or view is View.STAFF:
        return value
    return phones.mask_in_text(value)


def payload(raw: dict[str, Any], view: View, hidden: Collection[str] = ()) -> dict[str, Any]:
    """An event's payload for this view: without the actor keys, with `hidden` case numbers blanked,
    and (masked view) every phone number inside its text masked, the rest of the words kept."""
    # An anonymous reporter added to a case (report_added) is as hidden as the case's own anonymous reporter.
    withheld = _REPORTER_KEYS if view is View.AGENCY and raw.get("anonymous") is True else ()
    return {
        key: None if key in withheld else _value(value, view, hidden)
        for key, value in raw.items()
        if key not in _ACTOR_KEYS
    }


def _value(value: Any, view: View, hidden: Collection[str]) -> Any:
    if isinstance(value, str):
        return None if value in hidden else text(value, view)
    if isinstance(value, dict):
        return {key: _value(item, view, hidden) for key, item in value.items()}
    if isinstance(value, list):
        return [_value(item, view, hidden) for item in value]
    return value

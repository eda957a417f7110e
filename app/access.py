"""Who is acting, and what they may see of a case."""

from __future__ import annotations

from dataclasses import dataclass

from app import phones
from app.models import Case
from app.vocabulary import Role

# Roles that see reporters' phone numbers masked (app/present/audience.py shows them so): they may
# not search by phone either, or trying candidates against the filter would unmask a number.
MASKED_ROLES = frozenset({Role.AGENCY, Role.MAYOR_OFFICE})


@dataclass(frozen=True)
class Actor:
    """The authenticated user behind a request, detached from any database session."""

    user_id: int | None
    username: str
    role: Role
    agency_id: int | None = None

    @property
    def is_agency(self) -> bool:
        return self.role is Role.AGENCY

    @property
    def sees_masked_phones(self) -> bool:
        """Responders and the mayor's office: phones masked, anonymous reporters hidden, no search by phone."""
        return self.role in MASKED_ROLES


def may_see(actor: Actor, case: Case) -> bool:
    """Agency responders see only their own agency's cases; everyone else sees all."""
    return not actor.is_agency or case.agency_id == actor.agency_id


def visible_reporter(actor: Actor, case: Case) -> tuple[str | None, str | None]:
    """The reporter's name and phone as this actor may see them."""
    if not actor.sees_masked_phones:
        return case.reporter_name, case.reporter_phone
    if case.anonymous:
        return None, None
    return case.reporter_name, phones.mask(case.reporter_phone)

"""The consoles' main menu: each page group registers its page here, with the roles that see it and its key.

A page group (a blueprint in app/web) calls `register(Page(...))` when its module is imported; the
base template shows the pages the signed-in user may open, in registration order, and the
shortcut help lists their keys (Alt+Shift+letter).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.access import Actor
from app.vocabulary import Role

EVERYONE = frozenset(Role)
STAFF = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True)
class Page:
    endpoint: str  # for url_for
    label: str  # a console catalogue key
    roles: frozenset[Role]
    key: str  # Alt+Shift+key opens it from any page
    order: int = 100  # place in the menu, the day's work first: intake 10, my work 20, search 30, live 40


PAGES: list[Page] = []


def register(page: Page) -> None:
    """Add a page to the menu, once (a module imported twice registers once); keys must not clash."""
    if any(known.endpoint == page.endpoint for known in PAGES):
        return
    clash = [known.endpoint for known in PAGES if known.key.lower() == page.key.lower()]
    if clash:
        raise ValueError(f"shortcut Alt+Shift+{page.key} of {page.endpoint} is taken by {clash[0]}")
    PAGES.append(page)


def pages_for(actor: Actor | None) -> list[Page]:
    if actor is None:
        return []
    return sorted((page for page in PAGES if actor.role in page.roles), key=lambda page: page.order)

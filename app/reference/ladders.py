"""Alert ladders from `alerts.yaml` into versioned rows, and the versions a running process reads.

Like SLA policies: a changed ladder gets a new version, the old ones stay, so a case climbs
the ladder it started with; new cases get the current versions through the reference snapshot.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from sqlalchemy.orm import Session

from app.models import AlertLadderVersion
from app.reference.cache import reference_cache
from app.reference.files import ReferenceFileError, load_entries, where
from app.reference.seed_apply import Seeding
from app.reference.versions import store_versions
from config.settings import REFERENCE_DIR
from dispatch.ladder import LadderBook, LadderPolicy, build_ladder
from sla.policy import PolicyError

log = logging.getLogger(__name__)

LADDERS_FILE = REFERENCE_DIR / "alerts.yaml"


class StoredLadder(NamedTuple):
    """A ladder and the version it was stored as (None: read from the file, not stored yet)."""

    policy: LadderPolicy
    version: int | None

    @property
    def key(self) -> str:
        return self.policy.key


def read_ladders(
    path: Path, *, categories: Collection[str] | None = None, agencies: Collection[str] | None = None
) -> list[LadderPolicy]:
    """The ladders in alerts.yaml, checked (against the known codes, when given); a mistake names its line."""
    ladders: list[LadderPolicy] = []
    keys: set[str] = set()
    for entry in load_entries(path, "ladders"):
        for field, known in (("category", categories), ("agency", agencies)):
            code = entry.get(field)
            if code is not None and known is not None and code not in known:
                raise ReferenceFileError(f"{where(path, entry)}: unknown {field} {code!r}")
        if entry.get("category") and entry.get("agency"):
            raise ReferenceFileError(f"{where(path, entry)}: a ladder is for a category or an agency, not both")
        try:
            ladder = build_ladder(entry, where=where(path, entry))
        except PolicyError as exc:
            raise ReferenceFileError(str(exc)) from exc
        if ladder.key in keys:
            # Stored by key, so a second entry would silently replace the first.
            raise ReferenceFileError(f"{where(path, entry)}: a second ladder for {ladder.key}")
        keys.add(ladder.key)
        ladders.append(ladder)
    try:
        LadderBook(ladders)  # refuses a file without a default ladder
    except PolicyError as exc:
        raise ReferenceFileError(f"{path.name}: {exc}") from exc
    return ladders


def store_ladders(
    session: Session, ladders: list[LadderPolicy], report: dict[str, int], seeding: Seeding | None = None
) -> None:
    """Insert new versions for new or changed ladders; retire the ones no longer in the file."""
    store_versions(session, AlertLadderVersion, ladders, report, "alert_ladders", seeding)


def current_ladder(session: Session, *, category: str, agency: str | None) -> StoredLadder:
    """The current version of the ladder for a category and agency, from the reference snapshot."""
    snapshot = reference_cache.snapshot(session)
    if snapshot.ladder_book is None:
        # Migrated but not yet seeded: an urgent case is still recorded and called, by the file's
        # ladder; it records no version and adopts the stored one at its next step after a seed.
        log.error("no alert ladders stored: run `flask seed`; using %s until then", LADDERS_FILE.name)
        return StoredLadder(_ladders_in_file().for_case(category=category, agency=agency), None)
    policy = snapshot.ladder_book.for_case(category=category, agency=agency)
    return StoredLadder(policy, snapshot.current_ladder_version[policy.key])


def stored_ladder(session: Session, *, key: str, version: int) -> LadderPolicy | None:
    """One stored version of a ladder, however old (None only if it was never stored)."""
    ladder = reference_cache.snapshot(session).ladder_versions.get((key, version))
    if ladder is None and reference_cache.age() > 1.0:
        # A version seeded since this process last looked (e.g. by `flask seed` in another shell).
        reference_cache.clear()
        ladder = reference_cache.snapshot(session).ladder_versions.get((key, version))
    return ladder


@lru_cache(maxsize=1)
def _ladders_in_file() -> LadderBook:
    return LadderBook(read_ladders(LADDERS_FILE))

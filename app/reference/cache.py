"""A per-process snapshot of the active reference data, so intake does not query it every time.

Reference data changes only through `flask seed`. Seeding in this process clears the
snapshot at once; other processes (the web workers, when seeding ran from the shell)
pick the change up within SNAPSHOT_TTL. Rows are detached copies: a service puts one
into its own session with `session.merge(row, load=False)`, which issues no SQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Agency, AlertLadderVersion, Category, District, RoutingRule, SlaPolicyVersion
from dispatch.ladder import LadderBook, LadderPolicy
from sla.policy import Policy, PolicyBook

SNAPSHOT_TTL = 30.0


@dataclass(frozen=True)
class ReferenceSnapshot:
    categories: dict[str, Category]
    districts: dict[str, District]
    agencies: dict[str, Agency]
    rules: dict[tuple[int, int], Agency]
    policy_book: PolicyBook  # the current version of every policy
    policy_versions: dict[tuple[str, int], Policy]  # every version ever, for cases set by an older one
    current_version: dict[str, int]
    ladder_book: LadderBook | None  # the current version of every ladder; None before the first seed
    ladder_versions: dict[tuple[str, int], LadderPolicy]  # every version ever, for cases started on one
    current_ladder_version: dict[str, int]


def _load(session: Session) -> ReferenceSnapshot:
    # A session of its own, so the rows become detached copies and the caller's identity map is
    # untouched; on the caller's connection, so a loaded pool never waits on itself.
    with Session(bind=session.connection()) as loader:
        agencies = {row.code: row for row in loader.scalars(select(Agency).where(Agency.active.is_(True)))}
        categories = {row.code: row for row in loader.scalars(select(Category).where(Category.active.is_(True)))}
        districts = {row.code: row for row in loader.scalars(select(District).where(District.active.is_(True)))}
        by_id = {agency.id: agency for agency in agencies.values()}
        rules = {
            (rule.category_id, rule.district_id): by_id[rule.agency_id]
            for rule in loader.scalars(select(RoutingRule).where(RoutingRule.active.is_(True)))
            if rule.agency_id in by_id
        }
        versions = loader.scalars(select(SlaPolicyVersion)).all()
        ladders = loader.scalars(select(AlertLadderVersion)).all()
        loader.expunge_all()
    policy_versions = {(row.key, row.version): Policy.from_spec(row.spec) for row in versions}
    current_version = {row.key: row.version for row in versions if row.current}
    ladder_versions = {(row.key, row.version): LadderPolicy.from_spec(row.spec) for row in ladders}
    current_ladder_version = {row.key: row.version for row in ladders if row.current}
    current_ladders = [ladder_versions[(key, version)] for key, version in current_ladder_version.items()]
    return ReferenceSnapshot(
        categories=categories,
        districts=districts,
        agencies=agencies,
        rules=rules,
        policy_book=PolicyBook(policy_versions[(key, version)] for key, version in current_version.items()),
        policy_versions=policy_versions,
        current_version=current_version,
        ladder_book=LadderBook(current_ladders) if current_ladders else None,
        ladder_versions=ladder_versions,
        current_ladder_version=current_ladder_version,
    )


class ReferenceCache:
    def __init__(self, ttl: float = SNAPSHOT_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self.clock = clock  # seconds, only ever compared with itself (tests give it one they move by hand)
        self._lock = threading.Lock()
        self._snapshot: ReferenceSnapshot | None = None
        self._loaded_at = 0.0

    def snapshot(self, session: Session) -> ReferenceSnapshot:
        with self._lock:
            if self._snapshot is None or self.clock() - self._loaded_at > self._ttl:
                self._snapshot = _load(session)
                self._loaded_at = self.clock()
            return self._snapshot

    def age(self) -> float:
        """Seconds since the snapshot was loaded (infinite if there is none)."""
        with self._lock:
            return self.clock() - self._loaded_at if self._snapshot is not None else float("inf")

    def clear(self) -> None:
        with self._lock:
            self._snapshot = None


reference_cache = ReferenceCache()

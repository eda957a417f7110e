"""Reference rows by id, from the per-process snapshot: shaping a batch of rows needs no query per row."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.models import Agency, Category, District
from app.reference.cache import reference_cache


@dataclass(frozen=True)
class ReferenceNames:
    """Reference rows by id, so shaping a batch of events needs no query per event."""

    agencies: dict[int, Agency]
    categories: dict[int, Category]
    districts: dict[int, District]

    @classmethod
    def load(cls, session: Session) -> ReferenceNames:
        snapshot = reference_cache.snapshot(session)
        return cls(
            agencies={row.id: row for row in snapshot.agencies.values()},
            categories={row.id: row for row in snapshot.categories.values()},
            districts={row.id: row for row in snapshot.districts.values()},
        )

    def agency_code(self, agency_id: int | None) -> str | None:
        agency = self.agencies.get(agency_id) if agency_id is not None else None
        return agency.code if agency is not None else None

"""Open cases a new report may repeat, while the agent types: read the candidates, rank them (duplicate_rank)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import phones
from app.access import Actor
from app.cases.duplicate_rank import Candidate, Why, rank_duplicates
from app.models import Case
from app.reference.cache import reference_cache
from app.vocabulary import OPEN_STATUSES

RECENT = timedelta(hours=24)
# A typhoon brings hundreds of reports of one category to one district in a day; a few more cannot
# be told apart from a new matter by the agent anyway.
CANDIDATES_MAX = 500
CALLER_CASES_MAX = 50


@dataclass(frozen=True)
class Duplicate:
    case: Case
    why: Why
    distance: float | None


def find_duplicates(
    *,
    session: Session,
    actor: Actor,
    category_code: str,
    district_code: str | None,
    address: str | None,
    caller: str | None,
    now: datetime,
    limit: int = 5,
) -> Sequence[Duplicate]:
    """Open cases of this category: in this district, received in the last 24 hours, at (or near) this
    address; and the caller's own open cases of this category, wherever they are. Nearest first."""
    snapshot = reference_cache.snapshot(session)
    category = snapshot.categories.get(category_code)
    if category is None:
        return []
    district = snapshot.districts.get(district_code) if district_code else None
    e164 = phones.try_normalise(caller) if caller else None
    open_cases = select(Case.id, Case.address, Case.received_at, Case.district_id, Case.reporter_phone).where(
        Case.category_id == category.id, Case.status.in_(OPEN_STATUSES)
    )
    if actor.is_agency:
        open_cases = open_cases.where(Case.agency_id == actor.agency_id)
    rows: list[Any] = []  # (id, address, received_at, district_id, reporter_phone)
    if district is not None and (address or "").strip():
        rows += session.execute(
            open_cases.where(Case.district_id == district.id, Case.received_at >= now - RECENT)
            .order_by(Case.received_at.desc())
            .limit(CANDIDATES_MAX)
        ).all()
    if e164 is not None:
        rows += session.execute(
            open_cases.where(Case.reporter_phone == e164).order_by(Case.id.desc()).limit(CALLER_CASES_MAX)
        ).all()
    candidates = [
        Candidate(
            case_id=row.id,
            address=row.address,
            # Only recent reports count as the same place; the caller's own cases count at any age.
            received_at=row.received_at,
            same_district=district is not None and row.district_id == district.id and row.received_at >= now - RECENT,
            same_caller=e164 is not None and row.reporter_phone == e164,
        )
        for row in rows
    ]
    ranked = rank_duplicates(address, candidates, limit)
    if not ranked:
        return []
    cases = {case.id: case for case in session.scalars(select(Case).where(Case.id.in_([r.case_id for r in ranked])))}
    return [Duplicate(cases[r.case_id], r.why, r.distance) for r in ranked if r.case_id in cases]

"""Which open cases a new report may be a duplicate of, nearest first: a pure function over candidates."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from app.cases.addresses import distance, normalise


class Why(enum.StrEnum):
    """Why a case is offered: the same place (or near it on the same street), or the same caller."""

    SAME_PLACE = "same_place"
    NEARBY = "nearby"
    SAME_CALLER = "same_caller"


@dataclass(frozen=True)
class Candidate:
    """An open case of the same category: in the same district lately, or reported by the same caller."""

    case_id: int
    address: str | None
    received_at: datetime
    same_district: bool
    same_caller: bool


@dataclass(frozen=True)
class Ranked:
    case_id: int
    why: Why
    distance: float | None  # house numbers apart on the same street; None for the caller's own case elsewhere


def rank_duplicates(address: str | None, candidates: Iterable[Candidate], limit: int = 5) -> list[Ranked]:
    """Address matches first, nearest first (newest among equals); then the caller's own open cases, newest first.

    A case reported by the same caller at the same place is offered once, as a place match.
    """
    wanted = normalise(address or "")
    placed: list[tuple[float, float, Ranked]] = []
    callers: list[tuple[float, Ranked]] = []
    seen: set[int] = set()
    for candidate in candidates:
        if candidate.case_id in seen:
            continue
        seen.add(candidate.case_id)
        gap = distance(wanted, normalise(candidate.address or "")) if candidate.same_district else None
        newest_first = -candidate.received_at.timestamp()
        if gap is not None:
            why = Why.SAME_PLACE if gap < 1 else Why.NEARBY
            placed.append((gap, newest_first, Ranked(candidate.case_id, why, gap)))
        elif candidate.same_caller:
            callers.append((newest_first, Ranked(candidate.case_id, Why.SAME_CALLER, None)))
    placed.sort(key=lambda item: (item[0], item[1], item[2].case_id))
    callers.sort(key=lambda item: (item[0], item[1].case_id))
    return ([item[2] for item in placed] + [item[1] for item in callers])[:limit]

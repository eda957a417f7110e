"""The alert ladder of an urgent dispatch: which rung comes next and when. Pure.

Step 1 calls the agency's duty phones; step 2 calls its supervisors and alerts the call
centre's supervisors; every later step repeats step 2, so the chain never just ends.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sla.policy import ClockKind, PolicyError, parse_window


class Rung(enum.StrEnum):
    CALL_DUTY = "call_duty"
    CALL_SUPERVISOR = "call_supervisor"


@dataclass(frozen=True)
class LadderPolicy:
    call_duty_after: timedelta
    call_supervisor_after: timedelta
    repeat_every: timedelta
    category: str | None = None
    agency: str | None = None

    def delay_before(self, step: int) -> timedelta:
        """How long after the previous step (or the dispatch, for step 1) step `step` comes."""
        if step <= 1:
            return self.call_duty_after
        return self.call_supervisor_after if step == 2 else self.repeat_every


def rung(step: int) -> Rung:
    return Rung.CALL_DUTY if step <= 1 else Rung.CALL_SUPERVISOR


def build_ladder(entry: Mapping[str, Any], *, where: str) -> LadderPolicy:
    """One ladder from a YAML entry; every delay must be a positive window like 10m."""
    delays = {}
    for name in ("call_duty_after", "call_supervisor_after", "repeat_every"):
        delay = parse_window(str(entry.get(name, "")), ClockKind.WALL, where)
        if delay <= timedelta(0):
            raise PolicyError(f"{where}: {name} must be longer than zero")
        delays[name] = delay
    return LadderPolicy(**delays, category=entry.get("category"), agency=entry.get("agency"))


class LadderBook:
    """The ladders: for a case, its agency's, its category's, or the default."""

    def __init__(self, ladders: Iterable[LadderPolicy]) -> None:
        self._by_key = {(ladder.category, ladder.agency): ladder for ladder in ladders}
        if (None, None) not in self._by_key:
            raise PolicyError("alerts.yaml needs one default ladder (an entry without category or agency)")

    def for_case(self, *, category: str, agency: str | None) -> LadderPolicy:
        by_agency = self._by_key.get((None, agency)) if agency else None
        return by_agency or self._by_key.get((category, None)) or self._by_key[(None, None)]

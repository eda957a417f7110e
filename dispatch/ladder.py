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

_DELAYS = ("call_duty_after", "call_supervisor_after", "repeat_every")


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

    @property
    def key(self) -> str:
        """What its versions are stored under: `default`, `category:<code>` or `agency:<code>`."""
        if self.agency:
            return f"agency:{self.agency}"
        return f"category:{self.category}" if self.category else "default"

    def to_spec(self) -> dict[str, Any]:
        """A JSON-able form, stored with each ladder version so a case keeps the ladder it started with."""
        delays = {f"{name}_s": getattr(self, name).total_seconds() for name in _DELAYS}
        return {"category": self.category, "agency": self.agency, **delays}

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> LadderPolicy:
        delays = {name: timedelta(seconds=spec[f"{name}_s"]) for name in _DELAYS}
        return cls(**delays, category=spec.get("category"), agency=spec.get("agency"))


def rung(step: int) -> Rung:
    return Rung.CALL_DUTY if step <= 1 else Rung.CALL_SUPERVISOR


def build_ladder(entry: Mapping[str, Any], *, where: str) -> LadderPolicy:
    """One ladder from a YAML entry; every delay must be a positive window like 10m."""
    delays = {}
    for name in _DELAYS:
        delay = parse_window(str(entry.get(name, "")), ClockKind.WALL, where)
        if delay <= timedelta(0):
            raise PolicyError(f"{where}: {name} must be longer than zero")
        delays[name] = delay
    return LadderPolicy(**delays, category=entry.get("category"), agency=entry.get("agency"))


class LadderBook:
    """The ladders: for a case, its agency's, its category's, or the default."""

    def __init__(self, ladders: Iterable[LadderPolicy]) -> None:
        self._by_key: dict[tuple[str | None, str | None], LadderPolicy] = {}
        for ladder in ladders:
            if (ladder.category, ladder.agency) in self._by_key:
                raise PolicyError(f"a second ladder for {ladder.key}")
            self._by_key[(ladder.category, ladder.agency)] = ladder
        if (None, None) not in self._by_key:
            raise PolicyError("alerts.yaml needs one default ladder (an entry without category or agency)")

    def for_case(self, *, category: str, agency: str | None) -> LadderPolicy:
        by_agency = self._by_key.get((None, agency)) if agency else None
        return by_agency or self._by_key.get((category, None)) or self._by_key[(None, None)]

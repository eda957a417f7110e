"""What a generated day is made of: a batch of rows for the writer, and the cases about to be recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import accumulate
from typing import Any

from app.demo.parts import Person
from app.vocabulary import Channel


def cumulative(weights: dict[str, float]) -> tuple[list[str], list[float]]:
    return list(weights), list(accumulate(weights.values()))


@dataclass
class Batch:
    """The rows of one day, ready for the writer."""

    day: date
    cases: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)  # with case_id and id first
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    pauses: list[tuple[Any, ...]] = field(default_factory=list)
    grams: list[tuple[int, list[str]]] = field(default_factory=list)
    counter: tuple[date, int] | None = None


@dataclass
class Intake:
    """A case about to be recorded: what, where, when, by whom, and its place in a typhoon cluster."""

    received_at: datetime
    created_at: datetime
    category: str
    district: str
    address: str
    channel: Channel
    agent: Person
    surge: bool = False
    primary: Intake | None = None  # a duplicate: merged into this one
    merge_at: datetime | None = None
    added: list[tuple[datetime, str]] = field(default_factory=list)  # reports added by other callers
    case_id: int = 0
    case_no: str = ""

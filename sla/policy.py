"""Which deadlines apply to a case: per category (optionally per agency) targets. Pure.

Windows are written like "15m", "4h" or "6d"; on the working clock a day is one working
day of the configured working hours (8 hours by default).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

WORKING_DAY = timedelta(hours=8)
# The national rule for citizen supervision of public works (全民督工): never over 12 days.
SUPERVISION_LIMIT = timedelta(days=12)
_WINDOW = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd])\s*$")


class ClockKind(enum.StrEnum):
    WALL = "wall"  # round the clock (dispatch)
    WORKING = "working"  # working hours on working days (petitions)


class PolicyError(ValueError):
    """A policy entry is wrong; the message names where and what to fix."""


@dataclass(frozen=True)
class WarningPoint:
    """Warn at a fraction of the window, or at a fixed time before the deadline."""

    fraction: float | None = None
    before: timedelta | None = None

    def offset(self, window: timedelta) -> timedelta | None:
        """How far into the window the warning falls; None if the window is too short for it."""
        if self.fraction is not None:
            return window * self.fraction
        assert self.before is not None
        # "30 minutes before" means nothing for a 15-minute window: no warning at the start.
        return window - self.before if self.before < window else None

    def to_spec(self) -> dict[str, float]:
        if self.fraction is not None:
            return {"fraction": self.fraction}
        assert self.before is not None
        return {"before_s": self.before.total_seconds()}


@dataclass(frozen=True)
class Policy:
    category: str
    agency: str | None
    clock: ClockKind
    acknowledge_within: timedelta | None
    report_within: timedelta
    warnings: tuple[WarningPoint, ...]
    escalate_after: timedelta = timedelta(0)  # after a breach, before the supervisors are called in

    @property
    def key(self) -> str:
        return f"{self.category}@{self.agency}" if self.agency else self.category

    def with_report_extension(self, extra: timedelta) -> Policy:
        """The same policy with `extra` counting time on the report window (an approved 展延)."""
        return self if extra <= timedelta(0) else replace(self, report_within=self.report_within + extra)

    def to_spec(self) -> dict[str, Any]:
        """A JSON-able form, stored with each policy version so a case keeps the rules it got."""
        ack = self.acknowledge_within
        return {
            "category": self.category,
            "agency": self.agency,
            "clock": self.clock.value,
            "acknowledge_within_s": None if ack is None else ack.total_seconds(),
            "report_within_s": self.report_within.total_seconds(),
            "warnings": [point.to_spec() for point in self.warnings],
            "escalate_after_s": self.escalate_after.total_seconds(),
        }

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Policy:
        ack = spec.get("acknowledge_within_s")
        return cls(
            category=spec["category"],
            agency=spec.get("agency"),
            clock=ClockKind(spec["clock"]),
            acknowledge_within=None if ack is None else timedelta(seconds=ack),
            report_within=timedelta(seconds=spec["report_within_s"]),
            warnings=tuple(
                WarningPoint(fraction=point["fraction"])
                if "fraction" in point
                else WarningPoint(before=timedelta(seconds=point["before_s"]))
                for point in spec.get("warnings", ())
            ),
            escalate_after=timedelta(seconds=spec.get("escalate_after_s", 0)),
        )


def parse_window(text: str, clock: ClockKind, where: str, working_day: timedelta = WORKING_DAY) -> timedelta:
    match = _WINDOW.match(str(text))
    if match is None:
        raise PolicyError(f"{where}: window {text!r} should look like 15m, 4h or 6d")
    amount, unit = float(match.group(1)), match.group(2)
    if unit == "m":
        return timedelta(minutes=amount)
    if unit == "h":
        return timedelta(hours=amount)
    return amount * (working_day if clock is ClockKind.WORKING else timedelta(days=1))


def _warning(raw: Any, clock: ClockKind, where: str, working_day: timedelta) -> WarningPoint:
    if isinstance(raw, str) and raw.strip().endswith("%"):
        fraction = float(raw.strip()[:-1]) / 100
        if not 0 < fraction < 1:
            raise PolicyError(f"{where}: warning {raw!r} must be between 0% and 100%")
        return WarningPoint(fraction=fraction)
    return WarningPoint(before=parse_window(str(raw).removesuffix(" before"), clock, where, working_day))


def build_policy(
    entry: Mapping[str, Any], *, where: str, case_type_of: Mapping[str, str], working_day: timedelta = WORKING_DAY
) -> Policy:
    """One policy from a YAML entry, checked against the known categories and the national limits."""
    category = entry.get("category")
    case_type = entry.get("case_type")
    if case_type is not None and category is None:
        # A default for every category of this case type (e.g. all petitions).
        if case_type not in set(case_type_of.values()):
            raise PolicyError(f"{where}: unknown case_type {case_type!r}")
        category = f"type:{case_type}"
        case_type_of = {**case_type_of, category: case_type}
    if category not in case_type_of:
        raise PolicyError(f"{where}: unknown category {category!r}")
    try:
        clock = ClockKind(entry.get("clock", "wall"))
    except ValueError as exc:
        raise PolicyError(f"{where}: clock must be 'wall' or 'working'") from exc
    report = parse_window(entry.get("report_within", ""), clock, where, working_day)
    ack_raw = entry.get("acknowledge_within")
    acknowledge = parse_window(ack_raw, clock, where, working_day) if ack_raw is not None else None
    escalate_after = parse_window(entry.get("escalate_after", "0m"), clock, where, working_day)
    for name, window in (("report_within", report), ("acknowledge_within", acknowledge)):
        if window is not None and window <= timedelta(0):
            raise PolicyError(f"{where}: {name} must be longer than zero")
    if acknowledge is not None and acknowledge > report:
        raise PolicyError(f"{where}: acknowledge_within cannot be longer than report_within")
    if case_type_of[str(category)] == "supervision":
        calendar_span = report if clock is ClockKind.WALL else report / working_day * timedelta(days=1)
        if calendar_span > SUPERVISION_LIMIT:
            raise PolicyError(f"{where}: 全民督工 reports may not have over 12 days ({entry.get('report_within')})")
    warnings = tuple(_warning(raw, clock, where, working_day) for raw in entry.get("warnings", ()))
    return Policy(
        category=str(category),
        agency=entry.get("agency"),
        clock=clock,
        acknowledge_within=acknowledge,
        report_within=report,
        warnings=warnings,
        escalate_after=escalate_after,
    )


class PolicyBook:
    """All policies; for a case: its category's for its agency, its category's, its case type's."""

    def __init__(self, policies: Iterable[Policy]) -> None:
        self._by_key: dict[tuple[str, str | None], Policy] = {}
        for policy in policies:
            key = (policy.category, policy.agency)
            if key in self._by_key:
                raise PolicyError(f"two policies for {policy.key}")
            self._by_key[key] = policy

    def for_case(self, *, category: str, agency: str | None, case_type: str | None = None) -> Policy | None:
        return (
            self._by_key.get((category, agency))
            or self._by_key.get((category, None))
            or self._by_key.get((f"type:{case_type}", None))
        )

    def __iter__(self) -> Iterator[Policy]:
        return iter(self._by_key.values())

"""The report's definitions that need no database: percentiles, rates, the minimum-volume rule, ranking,
and changes against another month. Pure; docs/reports.md says the same in words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Nearest rank: the p-th percentile is the smallest value with at least p % of the values at or
# below it, i.e. the value at rank ceil(p·n/100) (1-based) in ascending order. PostgreSQL's
# percentile_disc is this definition; SQLite gets it from row_number() and count() over the agency.
PERCENTILES = (50, 90)

# Agencies that received fewer cases than this in the month are listed, flagged as a small sample,
# and not ranked: two cases on time out of two must not top one with 1,950 out of 2,000.
MIN_VOLUME = 30


def nearest_rank(values: Iterable[int], percent: int) -> int | None:
    """The nearest-rank percentile of `values`; None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = -(-percent * len(ordered) // 100)  # ceil without floats
    return ordered[max(rank, 1) - 1]


def rate(part: int, whole: int) -> float | None:
    """A share in per cent, one decimal; None when there is nothing to measure."""
    return None if whole == 0 else round(100.0 * part / whole, 1)


def small_sample(received: int, minimum: int = MIN_VOLUME) -> bool:
    return received < minimum


def rank_agencies(rows: Sequence[Mapping[str, Any]], key: str = "report_on_time_pct") -> dict[str, int | None]:
    """Rank by `key` (higher is better), ties sharing a rank; small samples and unmeasured rows get None.

    Ties are broken by nothing: equal rates share a rank (1, 2, 2, 4), and the order shown among
    them is the agency code, so the same figures always give the same table.
    """
    ranked = [row for row in rows if not row["small_sample"] and row.get(key) is not None]
    ranked.sort(key=lambda row: (-row[key], row["agency"]))
    ranks: dict[str, int | None] = {row["agency"]: None for row in rows}
    previous: float | None = None
    current = 0
    for position, row in enumerate(ranked, start=1):
        if row[key] != previous:
            current, previous = position, row[key]
        ranks[row["agency"]] = current
    return ranks


def change(now: float | int | None, before: float | int | None) -> float | int | None:
    """The difference now − before (percentage points for rates); None if either is missing."""
    if now is None or before is None:
        return None
    difference = now - before
    return round(difference, 1) if isinstance(difference, float) else difference


def change_pct(now: int | None, before: int | None) -> float | None:
    """The relative change of a count in per cent; None if there was nothing before."""
    if now is None or not before:
        return None
    return round(100.0 * (now - before) / before, 1)


def differences(frozen: Any, live: Any, path: str = "") -> list[dict[str, Any]]:
    """Every figure that differs between the frozen report and the live one, by its path
    (e.g. "agencies.PWD.received"): later corrections shown against what was signed."""
    if isinstance(frozen, Mapping) and isinstance(live, Mapping):
        found: list[dict[str, Any]] = []
        for key in sorted(set(frozen) | set(live), key=str):
            found += differences(frozen.get(key), live.get(key), f"{path}.{key}" if path else str(key))
        return found
    if (
        isinstance(frozen, list)
        and isinstance(live, list)
        and all(isinstance(item, Mapping) and "key" in item for item in [*frozen, *live])
    ):
        return differences({item["key"]: item for item in frozen}, {item["key"]: item for item in live}, path)
    if frozen != live:
        return [{"path": path, "frozen": frozen, "live": live}]
    return []

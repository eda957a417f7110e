"""Surges (颱風): the last hour's reports in clusters a supervisor can merge at once. Pure: no Flask, no database.

A cluster is two or more reports of one category in one district at the same place (one normalised address)
or, failing that, on the same road. Reports at one place are a cluster of their own; a road's cluster is
shown when it holds more reports than its biggest place, and then lists them all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from app.cases.addresses import normalise, road


@dataclass(frozen=True)
class Report:
    case_no: str
    district: str
    category: str
    address: str
    received_at: datetime


@dataclass(frozen=True)
class Cluster:
    kind: str  # "place" (one normalised address) or "road"
    district: str
    category: str
    where: str  # the normalised address, or the road
    reports: tuple[Report, ...]  # oldest first: the first is the natural parent

    @property
    def key(self) -> str:
        return f"{self.kind}|{self.district}|{self.category}|{self.where}"


def clusters(reports: Iterable[Report], *, min_size: int = 2) -> list[Cluster]:
    """The clusters among `reports`, biggest first (then the oldest first report)."""
    places: dict[tuple[str, str, str], list[Report]] = defaultdict(list)
    roads: dict[tuple[str, str, str], list[Report]] = defaultdict(list)
    for report in reports:
        where = normalise(report.address or "")
        if not where:
            continue
        places[(report.district, report.category, where)].append(report)
        on = road(where)
        if on:
            roads[(report.district, report.category, on)].append(report)
    found = [_cluster("place", key, members) for key, members in places.items() if len(members) >= min_size]
    biggest_place: dict[tuple[str, str, str], int] = defaultdict(int)
    for key, members in places.items():
        on = road(key[2])
        if on:
            road_key = (key[0], key[1], on)
            biggest_place[road_key] = max(biggest_place[road_key], len(members))
    found += [
        _cluster("road", key, members)
        for key, members in roads.items()
        if len(members) >= min_size and len(members) > biggest_place[key]
    ]
    return sorted(found, key=lambda cluster: (-len(cluster.reports), cluster.reports[0].received_at, cluster.key))


def _cluster(kind: str, key: tuple[str, str, str], members: Sequence[Report]) -> Cluster:
    ordered = tuple(sorted(members, key=lambda report: (report.received_at, report.case_no)))
    return Cluster(kind=kind, district=key[0], category=key[1], where=key[2], reports=ordered)


@dataclass(frozen=True)
class Group:
    district: str
    category: str
    count: int


def groups(reports: Iterable[Report]) -> list[Group]:
    """Reports counted by district and category, most first."""
    counted: dict[tuple[str, str], int] = defaultdict(int)
    for report in reports:
        counted[(report.district, report.category)] += 1
    return sorted(
        (Group(district, category, count) for (district, category), count in counted.items()),
        key=lambda group: (-group.count, group.district, group.category),
    )

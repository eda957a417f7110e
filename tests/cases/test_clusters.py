"""Surge clusters: the same place however it is written, else the same road; one category, one district."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.cases.addresses import normalise, road
from app.cases.clusters import Report, clusters, groups

T0 = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)


def _report(no: int, address: str, *, district: str = "fongshan", category: str = "fallen_tree") -> Report:
    return Report(f"C{no:03d}", district, category, address, T0 + timedelta(minutes=no))


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("鳳山區光復路二段132號", "光復路"),
        ("光復路２段 132 號", "光復路"),
        ("中山東路1號", "中山東路"),
        ("民族一路100巷3號", "民族一路"),
        ("博愛大道50號", "博愛大道"),
        ("建工路", "建工路"),
        ("衛武營公園", None),
        ("", None),
    ],
)
def test_the_road_of_an_address(address: str, expected: str | None) -> None:
    assert road(normalise(address)) == expected


def test_one_place_written_three_ways_is_one_cluster() -> None:
    found = clusters([_report(1, "鳳山區光復路二段132號"), _report(2, "光復路２段 132 號"), _report(3, "臺灣大道1號")])
    assert [(cluster.kind, [r.case_no for r in cluster.reports]) for cluster in found] == [("place", ["C001", "C002"])]


def test_a_road_cluster_gathers_numbers_along_it_and_is_shown_only_when_bigger_than_its_places() -> None:
    reports = [_report(n, f"光復路二段{100 + n}號") for n in range(1, 6)] + [_report(9, "光復路二段101號")]
    found = clusters(reports)
    assert found[0].kind == "road" and found[0].where == "光復路" and len(found[0].reports) == 6
    assert found[0].reports[0].case_no == "C001"  # oldest first: the natural parent
    assert [(c.kind, len(c.reports)) for c in found[1:]] == [("place", 2)]
    # All at one place: no road cluster repeating it.
    same = clusters([_report(n, "光復路二段132號") for n in range(1, 4)])
    assert [(c.kind, len(c.reports)) for c in same] == [("place", 3)]


def test_clusters_do_not_cross_districts_or_categories_and_need_two_reports() -> None:
    found = clusters(
        [
            _report(1, "光復路二段132號"),
            _report(2, "光復路二段132號", district="sanmin"),
            _report(3, "光復路二段132號", category="flooding"),
            _report(4, "衛武營公園"),
            _report(5, ""),
        ]
    )
    assert found == []


def test_twenty_typhoon_reports_on_one_road_are_one_cluster_biggest_first() -> None:
    reports = [_report(n, f"中山東路{n}號") for n in range(1, 21)] + [
        _report(30, "建工路1號"),
        _report(31, "建工路1號"),
    ]
    found = clusters(reports)
    assert [(c.kind, c.where, len(c.reports)) for c in found] == [("road", "中山東路", 20), ("place", "建工路1號", 2)]


def test_groups_count_by_district_and_category_most_first() -> None:
    counted = groups([_report(1, "a"), _report(2, "b"), _report(3, "c", district="sanmin")])
    assert [(g.district, g.category, g.count) for g in counted] == [
        ("fongshan", "fallen_tree", 2),
        ("sanmin", "fallen_tree", 1),
    ]

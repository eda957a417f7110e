"""The report's figures as tables with headers in one language: one shape for the page, XLSX, CSV and PDF.

Words come from the "console" catalogue (keys marked with L_ for extraction); the exports use zh-TW.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.i18n import DEFAULT_LOCALE, catalogue
from app.reports.charts import bar_chart, column_chart
from app.reports.months import Month

Value = int | float | str | None


def L_(key: str) -> str:
    """Mark a console key so `make translations` keeps it (the page kit's L_ lives above this package)."""
    return key


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "int"  # int, pct (a share in per cent), num (one decimal), hours, text


@dataclass(frozen=True)
class Table:
    key: str  # also the CSV file's and the XLSX sheet's name
    title: str
    columns: list[Column]
    rows: list[list[Value]] = field(default_factory=list)
    note: str = ""


class Words:
    """The console catalogue in one language."""

    def __init__(self, locale: str = DEFAULT_LOCALE) -> None:
        self.locale = locale
        self._words: Mapping[str, str] = catalogue("console", locale)

    def __call__(self, key: str) -> str:
        return self._words.get(key, key)

    def name(self, row: Mapping[str, Any]) -> str:
        return str(row["name_en"] if self.locale == "en" else row["name_zh"])

    def month(self, key: str) -> str:
        """A report month ("2026-11") as this language dates it: 115年11月, or Nov 2026 (ROC 115)."""
        return Month.parse(key).label(self.locale)


def cell(value: Any, kind: str) -> str:
    """A value as the page and the PDF print it: thousands separated, one decimal for rates, blank for none."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if kind == "hours":
        return f"{value:,.2f}"
    if kind in ("pct", "num") or isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def report_tables(report: Mapping[str, Any], words: Words) -> list[Table]:
    """Every table of the report, in the order the XLSX and the PDF show them."""
    tables = [summary_table(report, words), agency_table(report, words), comparison_table(report, words)]
    tables.append(_trend_table(report, words))
    calls, cases = report["calls"], report["cases"]

    def coded(prefix: str, rows: list[Mapping[str, Any]]) -> list[tuple[str, int]]:
        return [(words(f"{prefix}.{row['key']}"), row["count"]) for row in rows]

    def named(rows: list[Mapping[str, Any]]) -> list[tuple[str, int]]:
        return [(words.name(row), row["count"]) for row in rows]

    # (table, its title, the first column's header, the rows): a count and a share per line.
    counted = [
        ("calls", L_("report.table.calls"), L_("report.col.outcome"), coded("call_outcome", calls["by_outcome"])),
        ("case_types", L_("report.table.case_types"), L_("report.col.case_type"), coded("case_type", cases["by_type"])),
        ("channels", L_("report.table.channels"), L_("report.col.channel"), coded("channel", cases["by_channel"])),
        ("categories", L_("report.table.categories"), L_("report.col.category"), named(cases["by_category"])),
        ("districts", L_("report.table.districts"), L_("report.col.district"), named(cases["by_district"])),
    ]
    # A month without call records (before the agents' console recorded them): zero, and the table says so.
    notes = {} if calls["total"] else {"calls": words(L_("report.note.no_calls"))}
    tables.extend(
        _counted(key, words(title), words(label), rows, words, note=notes.get(key, ""))
        for key, title, label, rows in counted
    )
    if report.get("differences"):
        tables.append(differences_table(report, words))
    return tables


def summary_table(report: Mapping[str, Any], words: Words) -> Table:
    totals, calls, cases = report["totals"], report["calls"], report["cases"]
    satisfaction = report.get("satisfaction")
    items: list[tuple[str, Value, str]] = [
        (L_("report.fig.month"), words.month(report["month"]), "text"),
        (L_("report.fig.calls"), calls["total"], "int"),
        (L_("report.fig.calls_daily"), calls["daily_average"], "num"),
        (L_("report.fig.calls_monthly"), calls.get("monthly_average"), "num"),
        (L_("report.fig.cases"), cases["total"], "int"),
        (L_("report.fig.cases_daily"), cases["daily_average"], "num"),
        (L_("report.fig.on_spot"), report["consultations"]["on_spot_pct"], "pct"),
        (L_("report.fig.measured"), totals["received"], "int"),
        (L_("report.fig.ack_on_time"), totals["ack_on_time_pct"], "pct"),
        (L_("report.fig.report_on_time"), totals["report_on_time_pct"], "pct"),
        (L_("report.fig.report_p50"), hours(totals["report_p50_s"]), "hours"),
        (L_("report.fig.report_p90"), hours(totals["report_p90_s"]), "hours"),
        (L_("report.fig.overdue_open"), totals["overdue_open"], "int"),
        (L_("report.fig.reported_late"), totals["reported_late"], "int"),
        (
            L_("report.fig.satisfaction"),
            satisfaction if satisfaction is not None else words(L_("report.no_surveys")),
            "pct" if satisfaction is not None else "text",
        ),
    ]
    frozen = report.get("frozen")
    if frozen:
        items.append(
            (L_("report.fig.frozen"), f"{frozen['frozen_at'][:16].replace('T', ' ')} {frozen['frozen_by']}", "text")
        )
    table = Table(
        "summary",
        words(L_("report.table.summary")),
        [Column("item", words(L_("report.col.item")), "text"), Column("value", words(L_("report.col.value")), "mixed")],
    )
    table.rows.extend([words(key), value] for key, value, _kind in items)
    return table


AGENCY_COLUMNS: list[tuple[str, str, str]] = [
    ("rank", L_("report.col.rank"), "int"),
    ("name", L_("report.col.agency"), "text"),
    ("received", L_("report.col.received"), "int"),
    ("ack_on_time_pct", L_("report.col.ack_on_time"), "pct"),
    ("report_on_time_pct", L_("report.col.report_on_time"), "pct"),
    ("ack_p50_h", L_("report.col.ack_p50"), "hours"),
    ("ack_p90_h", L_("report.col.ack_p90"), "hours"),
    ("report_p50_h", L_("report.col.report_p50"), "hours"),
    ("report_p90_h", L_("report.col.report_p90"), "hours"),
    ("overdue_open", L_("report.col.overdue_open"), "int"),
    ("reported_late", L_("report.col.reported_late"), "int"),
    ("rerouted_away", L_("report.col.rerouted_away"), "int"),
    ("returned", L_("report.col.returned"), "int"),
    ("extended", L_("report.col.extended"), "int"),
    ("vs_previous", L_("report.col.vs_previous"), "num"),
    ("vs_last_year", L_("report.col.vs_last_year"), "num"),
    ("sample", L_("report.col.sample"), "text"),
]


def agency_table(report: Mapping[str, Any], words: Words) -> Table:
    table = Table(
        "agencies",
        words(L_("report.table.agencies")),
        [Column(key, words(label), kind) for key, label, kind in AGENCY_COLUMNS],
        note=words(L_("report.note.min_volume")).format(minimum=report["min_volume"]),
    )
    for row in report["agencies"]:
        values: dict[str, Value] = {
            **row,
            "name": words.name(row),
            "ack_p50_h": hours(row["ack_p50_s"]),
            "ack_p90_h": hours(row["ack_p90_s"]),
            "report_p50_h": hours(row["report_p50_s"]),
            "report_p90_h": hours(row["report_p90_s"]),
            "vs_previous": row.get("vs_previous", {}).get("report_on_time_pct"),
            "vs_last_year": row.get("vs_last_year", {}).get("report_on_time_pct"),
            "sample": words(L_("report.small_sample")) if row["small_sample"] else "",
        }
        table.rows.append([values.get(key) for key, _label, _kind in AGENCY_COLUMNS])
    return table


COMPARED = [
    ("calls", L_("report.fig.calls"), "int"),
    ("cases", L_("report.fig.cases"), "int"),
    ("on_spot_pct", L_("report.fig.on_spot"), "pct"),
    ("ack_on_time_pct", L_("report.fig.ack_on_time"), "pct"),
    ("report_on_time_pct", L_("report.fig.report_on_time"), "pct"),
    ("overdue_open", L_("report.fig.overdue_open"), "int"),
]


def comparison_table(report: Mapping[str, Any], words: Words) -> Table:
    previous, last_year = report["comparison"]["previous"], report["comparison"]["last_year"]
    table = Table(
        "comparison",
        words(L_("report.table.comparison")),
        [
            Column("item", words(L_("report.col.item")), "text"),
            Column("now", words.month(report["month"]), "mixed"),
            Column("previous", words.month(previous["month"]), "mixed"),
            Column("previous_change", words(L_("report.col.change")), "mixed"),
            Column("last_year", words.month(last_year["month"]), "mixed"),
            Column("last_year_change", words(L_("report.col.change")), "mixed"),
        ],
        note=words(L_("report.note.change")),
    )
    for key, label, _kind in COMPARED:
        table.rows.append(
            [
                words(label),
                report["headline"][key],
                previous[key]["value"],
                previous[key]["change"],
                last_year[key]["value"],
                last_year[key]["change"],
            ]
        )
    return table


def _trend_table(report: Mapping[str, Any], words: Words) -> Table:
    table = Table(
        "trend",
        words(L_("report.table.trend")),
        [
            Column("month", words(L_("report.col.month")), "text"),
            Column("cases", words(L_("report.fig.cases")), "int"),
            Column("calls", words(L_("report.fig.calls")), "int"),
            Column("report_on_time_pct", words(L_("report.fig.report_on_time")), "pct"),
        ],
    )
    table.rows.extend([words.month(p["key"]), p["cases"], p["calls"], p["report_on_time_pct"]] for p in report["trend"])
    return table


def _counted(key: str, title: str, label: str, rows: list[tuple[str, int]], words: Words, *, note: str = "") -> Table:
    total = sum(count for _name, count in rows)
    table = Table(
        key,
        title,
        [
            Column("name", label, "text"),
            Column("count", words(L_("report.col.count")), "int"),
            Column("share", words(L_("report.col.share")), "pct"),
        ],
        note=note,
    )
    table.rows.extend([name, count, round(100.0 * count / total, 1) if total else None] for name, count in rows)
    return table


def differences_table(report: Mapping[str, Any], words: Words) -> Table:
    table = Table(
        "differences",
        words(L_("report.table.differences")),
        [
            Column("path", words(L_("report.col.figure")), "text"),
            Column("frozen", words(L_("report.col.frozen")), "mixed"),
            Column("live", words(L_("report.col.live")), "mixed"),
        ],
        note=words(L_("report.note.differences")),
    )
    for item in report["differences"]:
        table.rows.append([item["path"], _plain(item["frozen"]), _plain(item["live"])])
    return table


def _plain(value: Any) -> Value:
    if value is None or isinstance(value, int | float | str):
        return value
    return str(value)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    svg: str
    table: str  # the table with the same numbers


def report_charts(report: Mapping[str, Any], words: Words, *, agencies: int = 15) -> list[Chart]:
    """The trend of cases and of reports on time over twelve months, and the agencies' rates this month."""
    months = [(Month.parse(point["key"]).short(words.locale), point) for point in report["trend"]]
    cases_title = words(L_("report.chart.cases"))
    rate_title = words(L_("report.chart.report_on_time"))
    agencies_title = words(L_("report.chart.agencies"))
    ranked = [row for row in report["agencies"] if row["report_on_time_pct"] is not None][:agencies]
    return [
        Chart(
            "cases",
            cases_title,
            column_chart("chart-cases", cases_title, [(m, p["cases"]) for m, p in months]),
            "trend",
        ),
        Chart(
            "on-time",
            rate_title,
            column_chart("chart-on-time", rate_title, [(m, p["report_on_time_pct"]) for m, p in months], percent=True),
            "trend",
        ),
        Chart(
            "agencies",
            agencies_title,
            bar_chart(
                "chart-agencies",
                agencies_title,
                [(words.name(row), row["report_on_time_pct"], row["small_sample"]) for row in ranked],
            ),
            "agencies",
        ),
    ]


# Keys the PDF template asks for (app/reports/templates is not read by extraction).
TEMPLATE_KEYS = (
    L_("report.partial"),
    L_("report.pdf.as_of"),
    L_("report.pdf.charts"),
    L_("report.pdf.frozen"),
    L_("report.pdf.title"),
    L_("report.sign.prepared"),
    L_("report.sign.reviewed"),
    L_("report.sign.director"),
    L_("report.sign.mayor"),
)

"""The monthly report's figures for one month in the city's time zone, as a JSON-able dict.

The aggregates run in the database (app/reports/aggregates.py); this module only arranges a few
hundred numbers: names, rates, ranks, and the change against the previous month and the same month
a year before. docs/reports.md defines every figure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.models import Agency, Case, Category, District
from app.reports import aggregates as agg
from app.reports.months import BadMonth, Month
from app.reports.rules import MIN_VOLUME, change, change_pct, rank_agencies, rate, small_sample
from app.vocabulary import CallOutcome, CaseType, Channel

CHANNELS = [channel.value for channel in Channel]
DEFINITIONS_VERSION = "monthly-1"  # stored with a frozen report: which definitions produced it
TREND_MONTHS = 12
AGENCY_FIGURES = (
    "received",
    "ack_measured",
    "ack_on_time",
    "report_measured",
    "report_on_time",
    "reported_late",
    "overdue_open",
    "rerouted_away",
    "returned",
    "extended",
)


def parse_month(text: str) -> Month:
    try:
        return Month.parse(text)
    except BadMonth:
        raise InvalidInput("report.bad_month", fields={"month": ["report.bad_month"]}, month=str(text)[:20]) from None


def check_month(session: Session, month: Month, *, tz: ZoneInfo, now: datetime) -> None:
    """Refuse a month that has not begun, or that ended before the first case or call was recorded."""
    if month.start(tz) > now:
        raise InvalidInput("report.future_month", fields={"month": ["report.future_month"]}, month=month.roc)
    first = agg.first_data(session)
    if first is None or month.end(tz) <= first:
        since = Month.of(first, tz).roc if first else ""
        raise InvalidInput("report.no_data", fields={"month": ["report.no_data"]}, month=month.roc, since=since)


def monthly_report(session: Session, month: Month, *, tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    """Every figure of the month's report (check_month first for a person's input)."""
    names = _names(session)
    core = _core(session, month, tz=tz, now=now, names=names)
    previous = _core(session, month.previous(), tz=tz, now=now, names=names, light=True)
    last_year = _core(session, month.year_before(), tz=tz, now=now, names=names, light=True)
    for row in core["agencies"]:
        row["vs_previous"] = _agency_change(row, previous["by_agency"].get(row["key"]))
        row["vs_last_year"] = _agency_change(row, last_year["by_agency"].get(row["key"]))
    for name in ("previous", "last_year"):
        other = previous if name == "previous" else last_year
        core["comparison"][name] = {
            "month": other["month"],
            "roc_month": other["roc_month"],
            **{key: _compare(core["headline"][key], other["headline"][key]) for key in core["headline"]},
        }
    core["trend"] = _trend(session, month, tz, now, known={str(month): core, previous["month"]: previous})
    with_calls = [point["calls"] for point in core["trend"] if point["calls"]]
    core["calls"]["monthly_average"] = round(sum(with_calls) / len(with_calls), 1) if with_calls else None
    core.pop("by_agency")
    return core


def _core(
    session: Session, month: Month, *, tz: ZoneInfo, now: datetime, names: dict[str, Any], light: bool = False
) -> dict[str, Any]:
    """The month's figures; `light` (a month compared against) skips what the comparison does not use."""
    start, end = month.start(tz), month.end(tz)
    # Measured as the trail stands now (a late report back still counts, as late); a frozen copy keeps
    # the figures as they stood on the day of sign-off.
    as_of = now
    calls = agg.calls_by_outcome(session, start, end)
    calls_total = sum(calls.values())
    elapsed_days = month.days if end <= now else max(1, (now.astimezone(tz).date() - month.first_day).days + 1)
    consultations, answered_at_intake = agg.consultation_cases(session, start, end)
    answered_on_line = calls.get(CallOutcome.CONSULTATION_ANSWERED.value, 0)
    by_type = agg.cases_by(session, Case.case_type, start, end)
    cases_total = sum(by_type.values())
    # Percentiles of both clocks, per agency and over all (key None); none for a month compared against.
    clocks = {} if light else agg.clock_percentiles(session, start, end)
    agencies = _agency_rows(session, start, end, as_of, names, light, clocks)
    totals = _totals(agencies, clocks)
    consult_total = consultations + answered_on_line
    categories, districts = names["categories"], names["districts"]
    headline = {
        "calls": calls_total,
        "cases": cases_total,
        "on_spot_pct": rate(answered_on_line + answered_at_intake, consult_total),
        "ack_on_time_pct": totals["ack_on_time_pct"],
        "report_on_time_pct": totals["report_on_time_pct"],
        "overdue_open": totals["overdue_open"],
    }
    return {
        "month": str(month),
        "roc_month": month.roc,
        "complete": end <= now,
        "as_of": as_of.astimezone(tz).isoformat(timespec="seconds"),
        "days": elapsed_days,
        "min_volume": MIN_VOLUME,
        "headline": headline,
        "calls": {
            "total": calls_total,
            "by_outcome": [{"key": outcome.value, "count": calls.get(outcome.value, 0)} for outcome in CallOutcome],
            "daily_average": round(calls_total / elapsed_days, 1),
        },
        "cases": {
            "total": cases_total,
            "daily_average": round(cases_total / elapsed_days, 1),
            "by_type": [{"key": kind.value, "count": by_type.get(kind, 0)} for kind in CaseType],
            "by_channel": [] if light else _keyed(agg.cases_by(session, Case.channel, start, end), CHANNELS),
            "by_category": [] if light else _named(agg.cases_by(session, Case.category_id, start, end), categories),
            "by_district": [] if light else _named(agg.cases_by(session, Case.district_id, start, end), districts),
        },
        "consultations": {
            "total": consult_total,
            "answered_on_spot": answered_on_line + answered_at_intake,
            "on_spot_pct": headline["on_spot_pct"],
        },
        # No satisfaction survey is recorded by the system yet: the figure is shown as "no surveys".
        "satisfaction": None,
        "agencies": agencies,
        "totals": totals,
        "comparison": {},
        "by_agency": {row["key"]: row for row in agencies},
    }


def _agency_rows(
    session: Session,
    start: datetime,
    end: datetime,
    as_of: datetime,
    names: dict[str, Any],
    light: bool,
    clocks: dict[str, agg.Percentiles],
) -> list[dict[str, Any]]:
    counts = agg.agency_counts(session, start, end, as_of)
    overdue = agg.overdue_open(session, end)
    events = {} if light else agg.agency_events(session, start, end)
    ack, report = clocks.get("ack", {}), clocks.get("report", {})
    rows: list[dict[str, Any]] = []
    for agency_id in sorted(set(counts) | set(overdue) | set(events)):
        agency = names["agencies"].get(agency_id)
        if agency is None:
            continue
        figures = {name: 0 for name in AGENCY_FIGURES}
        figures.update(counts.get(agency_id, {}))
        figures["overdue_open"] = overdue.get(agency_id, 0)
        figures.update(events.get(agency_id, {}))
        rows.append(
            {
                "key": agency["code"],
                "agency": agency["code"],
                "name_zh": agency["name_zh"],
                "name_en": agency["name_en"],
                **figures,
                **_rates_and_times(figures, ack.get(agency_id, {}), report.get(agency_id, {})),
                "small_sample": small_sample(figures["received"]),
            }
        )
    ranks = rank_agencies(rows)
    for row in rows:
        row["rank"] = ranks[row["key"]]
    rows.sort(key=lambda row: (row["rank"] is None, row["rank"] or 0, -row["received"], row["key"]))
    return rows


def _rates_and_times(
    figures: dict[str, int], ack: dict[int, int | None], report: dict[int, int | None]
) -> dict[str, Any]:
    return {
        "ack_on_time_pct": rate(figures["ack_on_time"], figures["ack_measured"]),
        "report_on_time_pct": rate(figures["report_on_time"], figures["report_measured"]),
        "ack_p50_s": ack.get(50),
        "ack_p90_s": ack.get(90),
        "report_p50_s": report.get(50),
        "report_p90_s": report.get(90),
    }


def _totals(rows: list[dict[str, Any]], clocks: dict[str, agg.Percentiles]) -> dict[str, Any]:
    figures = {name: sum(row[name] for row in rows) for name in AGENCY_FIGURES}
    ack, report = clocks.get("ack", {}).get(None, {}), clocks.get("report", {}).get(None, {})
    return {"key": "total", **figures, **_rates_and_times(figures, ack, report)}


def _agency_change(row: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any]:
    before = before or {}
    return {
        "received": change(row["received"], before.get("received")),
        "ack_on_time_pct": change(row["ack_on_time_pct"], before.get("ack_on_time_pct")),
        "report_on_time_pct": change(row["report_on_time_pct"], before.get("report_on_time_pct")),
    }


def _compare(now: Any, before: Any) -> dict[str, Any]:
    """A headline figure then and the change: per cent for counts, percentage points for rates."""
    counted = isinstance(now, int) and isinstance(before, int)
    return {"value": before, "change": change(now, before), "change_pct": change_pct(now, before) if counted else None}


def _trend(
    session: Session, month: Month, tz: ZoneInfo, now: datetime, known: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Cases, calls and reports on time for the twelve months to `month`; the months already computed
    (`known`: this one and the previous) are taken from their figures, which count the same rows."""
    months = month.trailing(TREND_MONTHS)
    missing = [each for each in months if str(each) not in known]
    cases, calls, reports = agg.monthly_series(session, [(each.start(tz), each.end(tz)) for each in missing], now)
    figures = {str(each): (cases[index], calls[index], reports[index]) for index, each in enumerate(missing)}
    for key, core in known.items():
        totals = core["totals"]
        figures[key] = (
            core["cases"]["total"],
            core["calls"]["total"],
            (totals["report_on_time"], totals["report_measured"]),
        )
    return [
        {
            "key": str(each),
            "roc_month": each.roc,
            "cases": figures[str(each)][0],
            "calls": figures[str(each)][1],
            "report_on_time_pct": rate(*figures[str(each)][2]),
        }
        for each in months
    ]


def _keyed(counts: dict[Any, int], keys: list[str]) -> list[dict[str, Any]]:
    values = {getattr(key, "value", key): count for key, count in counts.items()}
    return [{"key": key, "count": values.get(key, 0)} for key in keys]


def _named(counts: dict[Any, int], names: dict[int, dict[str, str]]) -> list[dict[str, Any]]:
    """Rows with a count, most first, named in both languages; cases with no district as key "none"."""
    rows: list[dict[str, Any]] = []
    for ident, count in counts.items():
        named = names.get(ident) if ident is not None else None
        rows.append(
            {
                "key": named["code"] if named else "none",
                "name_zh": named["name_zh"] if named else "未填",
                "name_en": named["name_en"] if named else "not given",
                "count": count,
            }
        )
    rows.sort(key=lambda row: (-row["count"], row["key"]))
    return rows


def _names(session: Session) -> dict[str, dict[int, dict[str, str]]]:
    """Codes and names of every agency, category and district, active or not (a few hundred rows)."""
    found: dict[str, dict[int, dict[str, str]]] = {}
    for key, model in (("agencies", Agency), ("categories", Category), ("districts", District)):
        rows = session.execute(select(model.id, model.code, model.name_zh, model.name_en))
        found[key] = {row.id: {"code": row.code, "name_zh": row.name_zh, "name_en": row.name_en} for row in rows}
    return found

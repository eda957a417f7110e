"""The SQL behind the monthly report: every figure is a GROUP BY (or a window) in the database.

No case is loaded into Python: each function returns a handful of rows of counts per key. The same
statements run on SQLite and PostgreSQL, except the percentiles, which use PostgreSQL's
percentile_disc and, on SQLite, the same nearest-rank definition from row_number() and count().
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, text, tuple_
from sqlalchemy.orm import Session

from app.models import REPORT_KINDS_WHERE, Call, Case, CaseEvent
from app.reports.rules import PERCENTILES
from app.vocabulary import CaseStatus, CaseType, EventType

STOPPED = (CaseStatus.MERGED, CaseStatus.CANCELLED)


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def received_in(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(Case.received_at >= start, Case.received_at < end)


def measured_cases(start: datetime, end: datetime) -> ColumnElement[bool]:
    """The cases an agency is measured on: received in the month, held by it now, not a consultation,
    not merged into another case nor cancelled (the case they were merged into carries the work)."""
    return and_(received_in(start, end), _held_and_measured())


def _held_and_measured() -> ColumnElement[bool]:
    """measured_cases without the month: held by an agency, not a consultation, not merged nor cancelled."""
    return and_(Case.agency_id.is_not(None), Case.case_type != CaseType.CONSULTATION, Case.status.not_in(STOPPED))


def calls_by_outcome(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    rows = session.execute(
        select(Call.outcome, func.count())
        .where(Call.started_at >= start, Call.started_at < end, Call.outcome.is_not(None))
        .group_by(Call.outcome)
    )
    return {str(outcome.value if outcome is not None else ""): int(count) for outcome, count in rows}


def cases_by(session: Session, column: Any, start: datetime, end: datetime) -> dict[Any, int]:
    """Cases received in the month (cancelled ones left out: recorded in error) per value of `column`."""
    rows = session.execute(
        select(column, func.count())
        .where(received_in(start, end), Case.status != CaseStatus.CANCELLED)
        .group_by(column)
    )
    return {key: int(count) for key, count in rows}


def consultation_cases(session: Session, start: datetime, end: datetime) -> tuple[int, int]:
    """Consultations recorded as cases: how many, and how many the agent answered and closed at intake."""
    row = session.execute(
        select(func.count(), _count_if(Case.closed_at == Case.created_at)).where(
            received_in(start, end), Case.case_type == CaseType.CONSULTATION, Case.status != CaseStatus.CANCELLED
        )
    ).one()
    return int(row[0]), int(row[1])


def report_measured(as_of: datetime) -> ColumnElement[bool]:
    """A report back that can be judged: made (against its window), or missing past its deadline."""
    missing = and_(
        Case.report_clock_seconds.is_(None),
        Case.report_due_at.is_not(None),
        Case.report_due_at < as_of,
        Case.status != CaseStatus.WAITING_CITIZEN,
    )
    return or_(Case.report_window_seconds.is_not(None), missing)


def agency_counts(session: Session, start: datetime, end: datetime, as_of: datetime) -> dict[int, dict[str, int]]:
    """Per agency: received, acknowledged and reported within the window, overdue by how they were measured."""
    not_acked_overdue = and_(Case.ack_clock_seconds.is_(None), Case.ack_due_at.is_not(None), Case.ack_due_at < as_of)
    columns = {
        "received": func.count(),
        "ack_measured": _count_if(or_(Case.ack_window_seconds.is_not(None), not_acked_overdue)),
        "ack_on_time": _count_if(Case.ack_clock_seconds <= Case.ack_window_seconds),
        "report_measured": _count_if(report_measured(as_of)),
        "report_on_time": _count_if(Case.report_clock_seconds <= Case.report_window_seconds),
        "reported_late": _count_if(Case.report_clock_seconds > Case.report_window_seconds),
    }
    rows = session.execute(
        select(Case.agency_id, *(value.label(name) for name, value in columns.items()))
        .where(measured_cases(start, end))
        .group_by(Case.agency_id)
    )
    return {row.agency_id: {name: int(getattr(row, name)) for name in columns} for row in rows}


def overdue_open(session: Session, end: datetime) -> dict[int, int]:
    """Per agency: cases it held that were still not reported back at month end, past their deadline
    (a case waiting for the citizen now is left out: its clock stands still).

    Two index range scans on reported_at (not reported yet; reported after the month) rather than one
    OR, which no index answers: the history of reported cases is never read.
    """
    found: dict[int, int] = {}
    for not_reported_by_then in (Case.reported_at.is_(None), Case.reported_at >= end):
        still_open = and_(
            not_reported_by_then,
            Case.received_at < end,
            # No "agency_id IS NOT NULL": SQLite would pick the agency index (rows without one are dropped below).
            Case.case_type != CaseType.CONSULTATION,
            Case.report_due_at < end,
            or_(Case.merged_at.is_(None), Case.merged_at >= end),
            or_(Case.cancelled_at.is_(None), Case.cancelled_at >= end),
            Case.status != CaseStatus.WAITING_CITIZEN,
        )
        # Grouped by an expression, not the column: SQLite would otherwise walk the agency index for the order.
        agency = func.coalesce(Case.agency_id, 0).label("agency")
        rows = session.execute(select(agency, func.count()).where(still_open).group_by(agency))
        for agency_id, count in rows:
            if agency_id:
                found[agency_id] = found.get(agency_id, 0) + int(count)
    return found


def agency_events(session: Session, start: datetime, end: datetime) -> dict[int, dict[str, int]]:
    """Per agency, over the cases received in the month: cases re-routed away from it (改分), reports the
    centre returned to it (退回), cases whose deadline it had extended (展延)."""
    moved = and_(
        CaseEvent.event_type == EventType.CASE_ASSIGNED,
        CaseEvent.left_agency_id.is_not(None),
        CaseEvent.left_agency_id != CaseEvent.agency_id,
    )
    agency = case((moved, CaseEvent.left_agency_id), else_=CaseEvent.agency_id)
    kinds = {
        "rerouted_away": moved,
        "returned": CaseEvent.event_type == EventType.CASE_RETURNED,
        "extended": CaseEvent.event_type == EventType.EXTENSION_APPROVED,
    }
    kind = case(*((condition, literal(name)) for name, condition in kinds.items()), else_=literal(None))
    inner = (
        select(agency.label("agency_id"), kind.label("kind"), CaseEvent.case_id)
        .join(Case, Case.id == CaseEvent.case_id)
        # REPORT_KINDS_WHERE word for word: the partial index of these events is used (SQLite needs the same text).
        .where(received_in(start, end), text(REPORT_KINDS_WHERE), or_(*kinds.values()))
        .subquery()
    )
    # Re-routes and extensions count cases (a case extended twice is one extended case); returns count each return.
    counted = case((inner.c.kind == "returned", func.count()), else_=func.count(inner.c.case_id.distinct()))
    rows = session.execute(select(inner.c.agency_id, inner.c.kind, counted).group_by(inner.c.agency_id, inner.c.kind))
    found: dict[int, dict[str, int]] = {}
    for agency_id, name, count in rows:
        if agency_id is not None:
            found.setdefault(agency_id, dict.fromkeys(kinds, 0))[name] = int(count)
    return found


Percentiles = dict[int | None, dict[int, int | None]]  # per agency (None: over all), per percent


def clock_percentiles(session: Session, start: datetime, end: datetime) -> dict[str, Percentiles]:
    """`percentiles` of both clocks ("ack", "report"), per agency and over all (key None).

    PostgreSQL: one statement (GROUPING SETS; percentile_disc skips NULLs, which is what `percentiles`'
    "IS NOT NULL" does), one read of the month instead of four. SQLite has no GROUPING SETS: four."""
    clocks = {"ack": Case.ack_clock_seconds, "report": Case.report_clock_seconds}
    if session.get_bind().dialect.name != "postgresql":
        found: dict[str, Percentiles] = {}
        for name, column in clocks.items():
            found[name] = percentiles(session, column, start, end)
            found[name].update(percentiles(session, column, start, end, by_agency=False))
        return found
    parts = [
        func.percentile_disc(percent / 100).within_group(column).label(f"{name}{percent}")
        for name, column in clocks.items()
        for percent in PERCENTILES
    ]
    where = and_(measured_cases(start, end), or_(*(column.is_not(None) for column in clocks.values())))
    statement = (
        select(Case.agency_id, func.grouping(Case.agency_id).label("overall"), *parts)
        .where(where)
        .group_by(func.grouping_sets(tuple_(Case.agency_id), tuple_()))
    )
    result: dict[str, Percentiles] = {name: {} for name in clocks}
    for row in session.execute(statement):
        key = None if row.overall else row.agency_id
        for name in clocks:
            values = {percent: getattr(row, f"{name}{percent}") for percent in PERCENTILES}
            # A group with no reading of this clock has none in `percentiles` either.
            if any(value is not None for value in values.values()):
                result[name][key] = {p: None if v is None else int(v) for p, v in values.items()}
    return result


def percentiles(session: Session, column: Any, start: datetime, end: datetime, by_agency: bool = True) -> Percentiles:
    """Nearest-rank percentiles (rules.PERCENTILES) of a clock column, per agency (or over all: key None)."""
    group = Case.agency_id if by_agency else literal(0)
    where = and_(measured_cases(start, end), column.is_not(None))
    if session.get_bind().dialect.name == "postgresql":
        parts = [
            func.percentile_disc(percent / 100).within_group(column).label(f"p{percent}") for percent in PERCENTILES
        ]
        statement = select(group.label("grp"), *parts).where(where)
        rows: Sequence[Any] = session.execute(statement.group_by(group) if by_agency else statement).all()
    else:
        ranked = (
            select(
                group.label("grp"),
                column.label("value"),
                func.row_number().over(partition_by=group, order_by=column).label("rn"),
                func.count().over(partition_by=group).label("n"),
            )
            .where(where)
            .subquery()
        )
        parts = [
            func.min(case((ranked.c.rn * 100 >= percent * ranked.c.n, ranked.c.value))).label(f"p{percent}")
            for percent in PERCENTILES
        ]
        rows = session.execute(select(ranked.c.grp, *parts).group_by(ranked.c.grp)).all()
    found: Percentiles = {}
    for row in rows:
        key = row.grp if by_agency else None
        found[key] = {
            percent: None if getattr(row, f"p{percent}") is None else int(getattr(row, f"p{percent}"))
            for percent in PERCENTILES
        }
    return found


def monthly_series(
    session: Session, bounds: Sequence[tuple[datetime, datetime]], as_of: datetime
) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """For each month in `bounds`: cases received, calls handled, and (reported on time, reports measured).

    One plain aggregate per month rather than one GROUP BY over month buckets: each reads its range of
    the covering index in order, where grouping by a computed bucket made SQLite sort a year of rows.
    """
    measured = _held_and_measured()
    cases: list[int] = []
    calls: list[int] = []
    reports: list[tuple[int, int]] = []
    for start, end in bounds:
        received, on_time, judged = session.execute(
            select(
                _count_if(Case.status != CaseStatus.CANCELLED),
                _count_if(and_(measured, Case.report_clock_seconds <= Case.report_window_seconds)),
                _count_if(and_(measured, report_measured(as_of))),
            ).where(received_in(start, end))
        ).one()
        cases.append(int(received))
        reports.append((int(on_time), int(judged)))
        handled = session.scalar(
            select(func.count()).where(Call.started_at >= start, Call.started_at < end, Call.outcome.is_not(None))
        )
        calls.append(int(handled or 0))
    return cases, calls, reports


def first_data(session: Session) -> datetime | None:
    """The earliest case received or call started: a month before it has no report."""
    moments = [session.scalar(select(func.min(Case.received_at))), session.scalar(select(func.min(Call.started_at)))]
    present = [moment for moment in moments if moment is not None]
    return min(present) if present else None

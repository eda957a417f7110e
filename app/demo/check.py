"""Re-derive cases from their events and compare with the rows: the invariant the services keep.

For each case the trail is replayed (status, agency, the moments of each step, merges, reports
added, pauses, extensions, milestones recorded), and the SLA columns are computed from what the
replay gives with the services' own `deadlines.sla_fields` on the policy version the case names.
Any column that differs is a mismatch. It reads cases made by the services just as well as
generated ones (a test runs it on both).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases.deadlines import Pauses, SlaContext, load_context, sla_fields
from app.cases.milestones import CLOCK_COLUMNS, measure
from app.models import Agency, Case, CaseEvent, SlaPause
from app.reference.cache import reference_cache
from app.vocabulary import CaseStatus, EventType
from sla.clock import Interval, elapsed

COMPARED = (
    "status",
    "agency_id",
    "assigned_at",
    "acknowledged_at",
    "reported_at",
    "closed_at",
    "reopened_at",
    "merged_at",
    "cancelled_at",
    "parent_case_id",
    "report_count",
    "sla_round",
    "sla_started_at",
    "ack_due_at",
    "report_due_at",
    "sla_due_at",
    "sla_stage",
    "next_sla_check_at",
    "alert_step",
    "pauses",
    *CLOCK_COLUMNS,
    "report_outcome",
    "report_extension_seconds",
)
SLA_COLUMNS = ("ack_due_at", "report_due_at", "sla_due_at", "sla_stage", "next_sla_check_at", *CLOCK_COLUMNS)
MILESTONES = {EventType.SLA_WARNING.value, EventType.SLA_BREACHED.value, EventType.SLA_ESCALATED.value}


@dataclass
class Replayed:
    """A case as its events tell it (attribute names as the row's, so `sla_fields` can read it)."""

    status: CaseStatus = CaseStatus.NEW
    agency: str | None = None
    received_at: datetime | None = None
    assigned_at: datetime | None = None
    acknowledged_at: datetime | None = None
    reported_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_at: datetime | None = None
    merged_at: datetime | None = None
    cancelled_at: datetime | None = None
    parent: str | None = None
    report_count: int = 1
    sla_round: int = 0
    sla_started_at: datetime | None = None
    ack_due_at: datetime | None = None  # as breached, where a breach is on record
    report_due_at: datetime | None = None
    alert_step: int = 0
    extension: tuple[datetime, datetime] | None = None  # (new report deadline, approved at)
    pauses: list[list[datetime | None]] = field(default_factory=list)
    fired: set[str] = field(default_factory=set)
    # This round's moments the monthly report's clock columns measure: (when, pauses closed by then).
    ack_measured: tuple[datetime, list[Interval]] | None = None
    report_measured: tuple[datetime, list[Interval]] | None = None
    extensions: list[tuple[datetime, datetime]] = field(default_factory=list)  # (previous, new) deadline
    report_outcome: str | None = None
    report_extension_seconds: int = 0

    def closed_pauses(self) -> list[Interval]:
        return [(start, end) for start, end in self.pauses if start is not None and end is not None]

    def new_round(self, start: datetime) -> None:
        self.sla_round, self.sla_started_at, self.extension = self.sla_round + 1, start, None
        self.ack_due_at = self.report_due_at = None
        self.alert_step = 0  # an urgent case's ladder starts again with the round
        self.ack_measured = self.report_measured = None
        self.extensions = []

    def end_pause(self, at: datetime) -> None:
        if self.pauses and self.pauses[-1][1] is None:
            self.pauses[-1][1] = at


def _iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def replay(events: list[CaseEvent]) -> Replayed:
    """Apply the trail in order, as the services applied each step."""
    case = Replayed()
    for event in events:
        kind, at, payload = event.event_type, event.occurred_at, event.payload
        if kind == EventType.CASE_CREATED:
            case.received_at = _iso(payload["received_at"])
        elif kind == EventType.CASE_ASSIGNED:
            previous, case.agency = case.agency, payload["agency"]
            case.status, case.assigned_at, case.acknowledged_at = CaseStatus.ASSIGNED, at, None
            if previous is None or previous != case.agency:
                assert case.received_at is not None
                case.new_round(case.received_at if previous is None else at)
        elif kind == EventType.CASE_ACKNOWLEDGED:
            case.acknowledged_at = at
            case.ack_measured = case.ack_measured or (at, case.closed_pauses())
            if "implied_by" not in payload:
                case.status = CaseStatus.ACKNOWLEDGED
        elif kind == EventType.CASE_REPORTED:
            case.end_pause(at)
            case.status, case.reported_at = CaseStatus.REPORTED, at
            case.report_outcome = payload.get("outcome")
            case.acknowledged_at = case.acknowledged_at or at
            case.ack_measured = case.ack_measured or (at, case.closed_pauses())
            case.report_measured = case.report_measured or (at, case.closed_pauses())
        elif kind == EventType.CASE_CLOSED:
            case.status, case.closed_at = CaseStatus.CLOSED, at
        elif kind in (EventType.CASE_RETURNED, EventType.CASE_REOPENED):
            case.status = CaseStatus.ASSIGNED if case.agency else CaseStatus.NEW
            case.acknowledged_at = case.reported_at = case.closed_at = None
            if kind == EventType.CASE_REOPENED:
                case.reopened_at = at
            if case.agency:
                case.assigned_at = at
                case.new_round(at)
        elif kind == EventType.CASE_MERGED:
            case.end_pause(at)
            case.status, case.merged_at, case.parent = CaseStatus.MERGED, at, payload["into"]
        elif kind == EventType.CASE_CANCELLED:
            case.end_pause(at)
            case.status, case.cancelled_at = CaseStatus.CANCELLED, at
        elif kind == EventType.SLA_PAUSED:
            case.status = CaseStatus.WAITING_CITIZEN
            case.pauses.append([at, None])
        elif kind == EventType.SLA_RESUMED:
            case.status = CaseStatus.ACKNOWLEDGED
            case.end_pause(at)
        elif kind == EventType.EXTENSION_APPROVED:
            case.extension = (_iso(payload["report_due_at"]), at)
            case.extensions.append((_iso(payload["previous_report_due_at"]), _iso(payload["report_due_at"])))
        elif kind == EventType.REPORT_ADDED:
            case.report_count += 1
        elif kind in MILESTONES and event.sla_key:
            case.fired.add(event.sla_key)
            if kind == EventType.SLA_BREACHED and payload.get("round") == case.sla_round:
                deadline = _iso(payload["deadline"])
                if payload["target"] == "ack":
                    case.ack_due_at = deadline
                else:
                    case.report_due_at = deadline
        elif kind == EventType.ALERT_ESCALATED:
            case.alert_step = payload["step"]
    return case


def _sla(session: Session, row: Case, case: Replayed, context: SlaContext, now: datetime) -> dict[str, Any]:
    """The SLA columns (`deadlines.sla_fields`) and the clock columns (`milestones.measure`) of the replay."""
    if row.sla_policy is None or row.sla_policy_version is None or case.sla_started_at is None:
        return dict.fromkeys(SLA_COLUMNS)
    policy = reference_cache.snapshot(session).policy_versions[(row.sla_policy, row.sla_policy_version)]
    clock = context.clock(policy.clock)
    closed = [(start, end) for start, end in case.pauses if end is not None]
    assert all(start is not None for start, _ in case.pauses)
    # The round's approved extensions, each in whole counting seconds rounded up, as requests.py stores them.
    case.report_extension_seconds = sum(
        math.ceil(elapsed(clock, before, after).total_seconds()) for before, after in case.extensions
    )
    open_since = case.pauses[-1][0] if case.pauses and case.pauses[-1][1] is None else None
    _, fields, _ = sla_fields(
        cast(Case, case), policy, context, now=now, pauses=Pauses(cast(Any, closed), open_since), fired=case.fired
    )
    # Each milestone measured with the pauses closed when it happened, as the service's refresh then saw them.
    fields.update(dict.fromkeys(CLOCK_COLUMNS))
    for target, moment in (("ack", case.ack_measured), ("report", case.report_measured)):
        if moment is not None:
            at, pauses = moment
            fields.update(
                measure(
                    policy,
                    clock,
                    case.sla_started_at,
                    pauses,
                    acknowledged_at=at if target == "ack" else None,
                    reported_at=at if target == "report" else None,
                    extension_seconds=case.report_extension_seconds,
                )
            )
    return fields


@dataclass(frozen=True)
class Mismatch:
    case_no: str
    column: str
    row: Any
    derived: Any

    def __str__(self) -> str:
        return f"{self.case_no}: {self.column} is {self.row!r}, its events say {self.derived!r}"


def check_cases(session: Session, case_ids: list[int], *, now: datetime) -> list[Mismatch]:
    """Every column of COMPARED that differs between each case's row and its replayed events."""
    context = load_context(session)
    agency_ids = dict(session.execute(select(Agency.code, Agency.id)).all())
    mismatches: list[Mismatch] = []
    for start in range(0, len(case_ids), 500):
        chunk = case_ids[start : start + 500]
        rows = session.scalars(select(Case).where(Case.id.in_(chunk)).execution_options(populate_existing=True)).all()
        events: dict[int, list[CaseEvent]] = {}
        for event in session.scalars(select(CaseEvent).where(CaseEvent.case_id.in_(chunk)).order_by(CaseEvent.id)):
            events.setdefault(event.case_id, []).append(event)
        stored_pauses: dict[int, list[list[datetime | None]]] = {}
        for pause in session.scalars(select(SlaPause).where(SlaPause.case_id.in_(chunk)).order_by(SlaPause.id)):
            stored_pauses.setdefault(pause.case_id, []).append([pause.started_at, pause.ended_at])
        parents = {row.parent_case_id for row in rows if row.parent_case_id}
        parent_nos = dict(session.execute(select(Case.id, Case.case_no).where(Case.id.in_(parents))).all())
        for row in rows:
            case = replay(events.get(row.id, []))
            derived: dict[str, Any] = {
                "status": case.status,
                "agency_id": agency_ids.get(case.agency) if case.agency else None,
                "assigned_at": case.assigned_at,
                "acknowledged_at": case.acknowledged_at,
                "reported_at": case.reported_at,
                "closed_at": case.closed_at,
                "reopened_at": case.reopened_at,
                "merged_at": case.merged_at,
                "cancelled_at": case.cancelled_at,
                "parent_case_id": case.parent,
                "report_count": case.report_count,
                "sla_round": case.sla_round,
                "sla_started_at": case.sla_started_at,
                "alert_step": case.alert_step,
                "pauses": case.pauses,
                **_sla(session, row, case, context, now),
                "report_outcome": case.report_outcome,
                "report_extension_seconds": case.report_extension_seconds,
            }
            actual = {name: getattr(row, name) for name in COMPARED if name not in ("parent_case_id", "pauses")}
            actual["parent_case_id"] = parent_nos.get(row.parent_case_id) if row.parent_case_id else None
            actual["pauses"] = stored_pauses.get(row.id, [])
            mismatches += [
                Mismatch(row.case_no, name, actual[name], derived[name])
                for name in COMPARED
                if actual[name] != derived[name]
            ]
        session.rollback()
    return mismatches

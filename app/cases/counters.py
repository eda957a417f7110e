"""The live counters of the supervisors' wall and the mayor's office: per agency, right now."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from sqlalchemy import String, and_, case, cast, func, not_, select
from sqlalchemy.orm import Session

from app.access import Actor
from app.models import Case, CaseEvent
from app.reference.names import ReferenceNames
from app.vocabulary import OPEN_STATUSES, CaseStatus, CaseType, EventType
from sla.timeline import Stage

# Cases sent out for action with an acknowledgement deadline: 派工 and 全民督工.
DISPATCHED_TYPES = (CaseType.DISPATCH, CaseType.SUPERVISION)


@dataclass(frozen=True)
class AgencyCounts:
    agency: str | None  # None: cases still in triage, with no agency
    name_zh: str | None
    open: int
    at_risk: int
    breached: int  # this agency's breaches on open cases not yet reported: its current rounds and earlier ones
    unacknowledged: int
    # Of `breached`: cases this agency breached in an earlier round, since moved on (改分). A re-route never
    # erases a breach; the agency the case went to is counted for its own round only.
    breached_moved_away: int = 0


_BREACHED = (Stage.BREACHED.value, Stage.ESCALATED.value)
# A breach counts until the agency reports back (the stage then reads met_late): the same for earlier rounds.
_UNREPORTED = tuple(OPEN_STATUSES - {CaseStatus.REPORTED})


def count_open_cases(session: Session, names: ReferenceNames) -> list[AgencyCounts]:
    """One GROUP BY over the open cases (index on status), in agency-code order, triage first; plus the
    breaches of earlier rounds (the agency a case was moved from keeps them)."""
    at_risk = func.sum(case((Case.sla_stage == Stage.AT_RISK.value, 1), else_=0))
    breached = func.sum(case((Case.sla_stage.in_(_BREACHED), 1), else_=0))
    unacknowledged = func.sum(
        case(((Case.status == CaseStatus.ASSIGNED) & Case.case_type.in_(DISPATCHED_TYPES), 1), else_=0)
    )
    rows = session.execute(
        select(Case.agency_id, func.count(), at_risk, breached, unacknowledged)
        .where(Case.status.in_(OPEN_STATUSES))
        .group_by(Case.agency_id)
    ).all()
    counts = []
    for agency_id, open_count, risk, late, unacked in rows:
        agency = names.agencies.get(agency_id) if agency_id is not None else None
        counts.append(
            AgencyCounts(
                agency=agency.code if agency else None,
                name_zh=agency.name_zh if agency else None,
                open=int(open_count),
                at_risk=int(risk or 0),
                breached=int(late or 0),
                unacknowledged=int(unacked or 0),
            )
        )
    counts = _with_earlier_breaches(session, names, counts)
    return sorted(counts, key=lambda row: row.agency or "")


def _with_earlier_breaches(session: Session, names: ReferenceNames, counts: list[AgencyCounts]) -> list[AgencyCounts]:
    """Add, per agency, the unreported open cases it breached in a round before the case's current one.

    A case breached again by the same agency in its current round is already counted by its stage: once only.
    """
    earlier_round = not_(CaseEvent.sla_key.startswith(cast(Case.sla_round, String).concat(":")))
    counted_now = and_(CaseEvent.agency_id == Case.agency_id, Case.sla_stage.in_(_BREACHED))
    rows = session.execute(
        select(CaseEvent.agency_id, func.count(func.distinct(CaseEvent.case_id)))
        .join(Case, Case.id == CaseEvent.case_id)
        .where(
            Case.status.in_(_UNREPORTED),
            CaseEvent.event_type == EventType.SLA_BREACHED.value,
            CaseEvent.agency_id.is_not(None),
            earlier_round,
            not_(counted_now),
        )
        .group_by(CaseEvent.agency_id)
    ).all()
    by_code = {row.agency: row for row in counts}
    for agency_id, moved in rows:
        agency = names.agencies.get(agency_id) if agency_id is not None else None
        if agency is None:
            continue
        row = by_code.get(agency.code) or AgencyCounts(agency.code, agency.name_zh, 0, 0, 0, 0)
        by_code[agency.code] = replace(
            row, breached=row.breached + int(moved), breached_moved_away=row.breached_moved_away + int(moved)
        )
    return list(by_code.values())


def counters_for(actor: Actor, agency_code: str | None, counts: list[AgencyCounts], as_of: str) -> dict[str, Any]:
    """The counters as this user may see them: an agency its own row, and none at all if its
    agency is no longer active (never everyone's)."""
    if not actor.is_agency:
        return counters_view(counts, as_of)
    return counters_view(counts if agency_code else [], as_of, agency_code)


def counters_view(counts: list[AgencyCounts], as_of: str, only_agency: str | None = None) -> dict[str, Any]:
    """The counters as one audience sees them: an agency only its own row (`only_agency`)."""
    rows = [row for row in counts if row.agency == only_agency] if only_agency else counts
    totals = {
        name: sum(getattr(row, name) for row in rows) for name in ("open", "at_risk", "breached", "unacknowledged")
    }
    return {"as_of": as_of, "agencies": [asdict(row) for row in rows], "totals": totals}

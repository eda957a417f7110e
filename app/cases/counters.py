"""The live counters of the supervisors' wall and the mayor's office: per agency, right now."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.access import Actor
from app.models import Case
from app.reference.names import ReferenceNames
from app.vocabulary import OPEN_STATUSES, CaseStatus, CaseType
from sla.timeline import Stage

# Cases sent out for action with an acknowledgement deadline: 派工 and 全民督工.
DISPATCHED_TYPES = (CaseType.DISPATCH, CaseType.SUPERVISION)


@dataclass(frozen=True)
class AgencyCounts:
    agency: str | None  # None: cases still in triage, with no agency
    name_zh: str | None
    open: int
    at_risk: int
    breached: int
    unacknowledged: int


def count_open_cases(session: Session, names: ReferenceNames) -> list[AgencyCounts]:
    """One GROUP BY over the open cases (index on status), in agency-code order, triage first."""
    at_risk = func.sum(case((Case.sla_stage == Stage.AT_RISK.value, 1), else_=0))
    breached = func.sum(case((Case.sla_stage.in_((Stage.BREACHED.value, Stage.ESCALATED.value)), 1), else_=0))
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
    return sorted(counts, key=lambda row: row.agency or "")


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

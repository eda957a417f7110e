"""The agency's board: its open cases in the sections a responder works through, most urgent first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import Actor
from app.errors import NotFound
from app.models import Case, CaseEvent
from app.vocabulary import CaseStatus, EventType

# In the order a responder works through them; "returned" is a case the centre sent back after a report.
SECTIONS = ("awaiting", "in_progress", "waiting_citizen", "returned")
BOARD_STATUSES = (CaseStatus.ASSIGNED, CaseStatus.ACKNOWLEDGED, CaseStatus.WAITING_CITIZEN)
BOARD_LIMIT = 500  # per agency; the customer has ~270 dispatches a day across all agencies
_FAR = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Board:
    agency_id: int
    sections: dict[str, list[Case]] = field(default_factory=dict)
    truncated: bool = False


def section_of(status: CaseStatus, returned: bool) -> str:
    """Which section a case belongs in (pure): a case sent back stays 'returned' until it waits or is reported."""
    if status is CaseStatus.WAITING_CITIZEN:
        return "waiting_citizen"
    if returned:
        return "returned"
    return "awaiting" if status is CaseStatus.ASSIGNED else "in_progress"


def urgency_key(case: Case) -> tuple[int, datetime, int]:
    """Urgent categories first, then the nearest deadline, then the oldest case."""
    return (0 if case.category.urgent else 1, case.sla_due_at or _FAR, case.id)


def agency_board(*, session: Session, actor: Actor, agency_id: int) -> Board:
    """The agency's open cases by section; an agency responder sees only its own agency's board."""
    if actor.is_agency and actor.agency_id != agency_id:
        raise NotFound("case.not_found", case_no="")
    cases: Sequence[Case] = session.scalars(
        select(Case)
        .where(Case.agency_id == agency_id, Case.status.in_(BOARD_STATUSES))
        .order_by(Case.id)
        .limit(BOARD_LIMIT + 1)
    ).all()
    truncated = len(cases) > BOARD_LIMIT
    cases = cases[:BOARD_LIMIT]
    returned = _returned_since_assignment(session, cases)
    sections: dict[str, list[Case]] = {name: [] for name in SECTIONS}
    for case in cases:
        sections[section_of(case.status, case.id in returned)].append(case)
    for rows in sections.values():
        rows.sort(key=urgency_key)
    return Board(agency_id=agency_id, sections=sections, truncated=truncated)


def _returned_since_assignment(session: Session, cases: Sequence[Case]) -> set[int]:
    """Cases returned (退回) or reopened by the centre after they last came to this agency."""
    if not cases:
        return set()
    assigned_at = {case.id: case.assigned_at for case in cases}
    rows = session.execute(
        select(CaseEvent.case_id, CaseEvent.occurred_at).where(
            CaseEvent.case_id.in_(list(assigned_at)),
            CaseEvent.event_type.in_((EventType.CASE_REOPENED.value, EventType.CASE_RETURNED.value)),
        )
    )
    returned: set[int] = set()
    for case_id, occurred_at in rows:
        since = assigned_at[case_id]
        if since is None or occurred_at >= since:
            returned.add(case_id)
    return returned

"""The wall's work queues: cases no agency has (triage) and agencies' requests awaiting a decision."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case as when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cases.intake import ROUTED_TYPES
from app.cases.wall import WALL_LIMIT, Listed
from app.models import Case, CaseRequest, Category
from app.vocabulary import CaseStatus, RequestState

_HELD = (CaseStatus.ASSIGNED, CaseStatus.ACKNOWLEDGED, CaseStatus.WAITING_CITIZEN)


@dataclass(frozen=True)
class PendingRequest:
    request: CaseRequest
    case: Case


def triage(*, session: Session, limit: int = WALL_LIMIT) -> Listed[Case]:
    """Open cases without an agency (routing found none, or reopened without one): urgent first, then oldest."""
    statement = (
        select(Case)
        .join(Category, Category.id == Case.category_id)
        .where(Case.status == CaseStatus.NEW, Case.agency_id.is_(None), Case.case_type.in_(ROUTED_TYPES))
        .order_by(when((Category.urgent.is_(True), 0), else_=1), Case.received_at, Case.id)
    )
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    return Listed(rows=session.scalars(statement.limit(limit)).all(), total=int(total))


def pending_requests(*, session: Session, limit: int = WALL_LIMIT) -> Listed[PendingRequest]:
    """Requests still to decide whose case the asking agency still holds in the round it asked about,
    oldest first (the agency has waited longest)."""
    statement = (
        select(CaseRequest, Case)
        .join(Case, Case.id == CaseRequest.case_id)
        .where(
            CaseRequest.state == RequestState.PENDING.value,
            Case.agency_id == CaseRequest.agency_id,
            Case.sla_round == CaseRequest.sla_round,
            Case.status.in_(_HELD),
        )
        .order_by(CaseRequest.requested_at, CaseRequest.id)
    )
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    rows = [PendingRequest(request, case) for request, case in session.execute(statement.limit(limit))]
    return Listed(rows=rows, total=int(total))


def requests_of_case(*, session: Session, case_id: int) -> list[CaseRequest]:
    """Every request about one case, newest first (the case page shows them with their decisions)."""
    return list(
        session.scalars(select(CaseRequest).where(CaseRequest.case_id == case_id).order_by(CaseRequest.id.desc()))
    )


def pending_by_case(*, session: Session, cases: list[Case]) -> dict[str, list[str]]:
    """The kinds of request each case's agency is waiting on (this round), by case number: the board shows them."""
    if not cases:
        return {}
    by_id = {case.id: case for case in cases}
    rows = session.execute(
        select(CaseRequest.case_id, CaseRequest.kind, CaseRequest.agency_id, CaseRequest.sla_round).where(
            CaseRequest.case_id.in_(list(by_id)), CaseRequest.state == RequestState.PENDING.value
        )
    )
    pending: dict[str, list[str]] = {}
    for case_id, kind, agency_id, round_no in rows:
        case = by_id[case_id]
        if case.agency_id == agency_id and case.sla_round == round_no:
            pending.setdefault(case.case_no, []).append(kind)
    return pending

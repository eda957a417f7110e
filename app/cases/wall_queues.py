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

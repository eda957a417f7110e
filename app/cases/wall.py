"""The supervisors' wall: short live lists, each sorted by urgency, read in a few queries on indexed columns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.orm import Session

from app.cases.dead_alerts import CALLED_PREFIX
from app.models import Case, CaseEvent, Notification
from app.vocabulary import OPEN_STATUSES, CaseStatus, CaseType, EventType, NotificationKind, NotificationStatus
from sla.timeline import Stage

WALL_LIMIT = 8  # rows per list: four lists fit a 1280×800 laptop; the count says how many more there are
EXPANDED_LIMIT = 200  # rows of one list opened after its "and N more" link
_UNREPORTED = tuple(OPEN_STATUSES - {CaseStatus.REPORTED})
_BREACHED = (Stage.BREACHED.value, Stage.ESCALATED.value)
# Alerts to the agency whose failure leaves a dispatch unheard: someone at the centre must phone instead.
AGENCY_ALERTS = (
    NotificationKind.DISPATCH_SMS.value,
    NotificationKind.DUTY_CALL.value,
    NotificationKind.SUPERVISOR_CALL.value,
    NotificationKind.SLA_ESCALATION_SMS.value,
)


T = TypeVar("T")


@dataclass(frozen=True)
class Listed(Generic[T]):
    """A list's first rows and how many there are in all."""

    rows: Sequence[T]
    total: int


@dataclass(frozen=True)
class EarlierBreach:
    """A breach by an agency the case has since been moved from (改分): it stays on that agency's record."""

    case: Case
    breached_by_id: int | None
    breached_at: datetime


@dataclass(frozen=True)
class Unacknowledged:
    agency_id: int | None
    count: int
    oldest_assigned_at: datetime | None


@dataclass(frozen=True)
class DeadAlert:
    notification: Notification
    case_no: str


@dataclass(frozen=True)
class Wall:
    about_to_breach: Listed[Case]
    breached: Listed[Case]
    breached_earlier: Listed[EarlierBreach]
    unacknowledged: Listed[Unacknowledged]
    dead_alerts: Listed[DeadAlert]


def _listed(session: Session, statement: Any, limit: int) -> Listed[Case]:
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    return Listed(rows=session.scalars(statement.limit(limit)).all(), total=int(total))


def wall_lists(
    *, session: Session, limit: int = WALL_LIMIT, expand: str | None = None, expanded_limit: int = EXPANDED_LIMIT
) -> Wall:
    """The lists as they stand: at risk by time left, breached oldest deadline first, unacknowledged
    dispatches by agency oldest first, dead agency alerts newest first. The list named `expand` (a field of
    `Wall`) gets `expanded_limit` rows, the others `limit`."""

    def rows(name: str) -> int:
        return expanded_limit if name == expand else limit

    open_cases = select(Case).where(Case.status.in_(_UNREPORTED))
    at_risk = open_cases.where(Case.sla_stage == Stage.AT_RISK.value).order_by(Case.sla_due_at, Case.id)
    breached = open_cases.where(Case.sla_stage.in_(_BREACHED)).order_by(Case.sla_due_at, Case.id)
    return Wall(
        about_to_breach=_listed(session, at_risk, rows("about_to_breach")),
        breached=_listed(session, breached, rows("breached")),
        breached_earlier=_earlier_breaches(session, rows("breached_earlier")),
        unacknowledged=_unacknowledged(session),
        dead_alerts=_dead_alerts(session, rows("dead_alerts")),
    )


def _earlier_breaches(session: Session, limit: int) -> Listed[EarlierBreach]:
    rows = session.execute(
        select(Case, CaseEvent.agency_id, CaseEvent.occurred_at)
        .join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(
            Case.status.in_(_UNREPORTED),
            CaseEvent.event_type == EventType.SLA_BREACHED.value,
            CaseEvent.agency_id.is_not(None),
            ~CaseEvent.sla_key.startswith(cast(Case.sla_round, String).concat(":")),
        )
        .order_by(CaseEvent.occurred_at, CaseEvent.id)
    ).all()
    seen: dict[tuple[int, int | None], EarlierBreach] = {}
    for case, agency_id, occurred_at in rows:
        seen.setdefault((case.id, agency_id), EarlierBreach(case, agency_id, occurred_at))
    found = list(seen.values())
    return Listed(rows=found[:limit], total=len(found))


def _unacknowledged(session: Session) -> Listed[Unacknowledged]:
    rows = session.execute(
        select(Case.agency_id, func.count(), func.min(Case.assigned_at))
        .where(
            Case.status == CaseStatus.ASSIGNED,
            Case.case_type.in_((CaseType.DISPATCH, CaseType.SUPERVISION)),
            Case.agency_id.is_not(None),
        )
        .group_by(Case.agency_id)
        .order_by(func.min(Case.assigned_at))
    ).all()
    listed = [Unacknowledged(agency_id, int(count), oldest) for agency_id, count, oldest in rows]
    return Listed(rows=listed, total=sum(row.count for row in listed))


def _dead_alerts(session: Session, limit: int) -> Listed[DeadAlert]:
    statement = (
        select(Notification, Case.case_no)
        .join(Case, Case.id == Notification.case_id)
        .where(
            Notification.status == NotificationStatus.DEAD,
            Notification.kind.in_(AGENCY_ALERTS),
            Case.status.in_(_UNREPORTED),
            # Answered by a call by hand (agency_called, once-only key dead_alerts.called_key): off the list.
            ~select(CaseEvent.id)
            .where(
                CaseEvent.case_id == Notification.case_id,
                CaseEvent.sla_key == literal(CALLED_PREFIX).concat(cast(Notification.id, String)),
            )
            .exists(),
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    rows = [DeadAlert(notification, case_no) for notification, case_no in session.execute(statement.limit(limit))]
    return Listed(rows=rows, total=int(total))

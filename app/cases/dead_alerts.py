"""A dead agency alert answered by hand: a supervisor phoned the agency, and the wall stops asking."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import Actor
from app.audit import record_event
from app.db import utcnow, write_transaction
from app.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from app.models import Case, CaseEvent, Notification
from app.vocabulary import EventType, NotificationStatus, Role

NOTE_MAX = 1000
CALLERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
CALLED_PREFIX = "called:"  # the wall's list of dead alerts matches the key in SQL by this prefix


def called_key(notification_id: int) -> str:
    """The once-only key of the call for one dead alert (the unique (case_id, sla_key) index holds it once)."""
    return f"{CALLED_PREFIX}{notification_id}"


def record_agency_call(
    *, session: Session, actor: Actor, notification_id: int, note: str, now: datetime | None = None
) -> CaseEvent:
    """打電話通知: the supervisor reached the agency by phone about a dead alert; `note` says who answered."""
    now = now or utcnow()
    if actor.role not in CALLERS:
        raise Forbidden("auth.forbidden", role=actor.role.value)
    with write_transaction(session):
        cleaned = (note or "").strip()
        if len(cleaned) > NOTE_MAX:
            raise InvalidInput("validation.failed", fields={"note": [N_("field.too_long")]}, max=NOTE_MAX)
        notification = session.get(Notification, notification_id)
        if notification is None or notification.case_id is None:
            raise NotFound("alert.not_found", notification_id=notification_id)
        case = session.scalar(select(Case).where(Case.id == notification.case_id).with_for_update(of=Case))
        assert case is not None
        if notification.status is not NotificationStatus.DEAD:
            raise Conflict("alert.not_dead", notification_id=notification_id)
        key = called_key(notification_id)
        if session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.sla_key == key)):
            raise Conflict("alert.already_called", notification_id=notification_id, case_no=case.case_no)
        event = record_event(
            session,
            case,
            EventType.AGENCY_CALLED,
            actor=actor,
            occurred_at=now,
            notification_id=notification_id,
            note=cleaned,
        )
        event.sla_key = key
    return event

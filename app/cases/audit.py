"""The audit trail: every change to a case is one appended CaseEvent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.cases.actors import Actor
from app.models import Case, CaseEvent


def record_event(
    session: Session,
    case: Case,
    event_type: str,
    *,
    actor: Actor,
    occurred_at: datetime,
    **payload: Any,
) -> CaseEvent:
    """Append one event to the case's trail, in the caller's transaction."""
    event = CaseEvent(
        case_id=case.id,
        event_type=event_type,
        actor_id=actor.user_id,
        occurred_at=occurred_at,
        payload={"actor": actor.username, "role": actor.role.value, **payload},
    )
    session.add(event)
    return event

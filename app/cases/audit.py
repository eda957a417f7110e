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


def record_assignment(
    session: Session,
    case: Case,
    *,
    actor: Actor,
    occurred_at: datetime,
    agency_code: str,
    previous_agency: str | None,
    reason: str,
) -> CaseEvent:
    """The case went to an agency: which, from which, and why (rule, default, or by hand)."""
    return record_event(
        session,
        case,
        "case_assigned",
        actor=actor,
        occurred_at=occurred_at,
        agency=agency_code,
        previous_agency=previous_agency,
        reason=reason,
    )

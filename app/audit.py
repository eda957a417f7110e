"""The audit trail: every change to a case is one appended CaseEvent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.access import Actor
from app.models import Case, CaseEvent
from app.vocabulary import EventType

# Set in a session's info when its transaction appends events: after the commit, the live feed
# is woken (app/realtime/wakeup.py) instead of waiting for its next poll.
EVENTS_WRITTEN = "case_events_written"


def record_event(
    session: Session,
    case: Case,
    event_type: EventType,
    *,
    actor: Actor,
    occurred_at: datetime,
    **payload: Any,
) -> CaseEvent:
    """Append one event to the case's trail, in the caller's transaction; the case's agency
    (as this transaction leaves it) is the agency that may see the event."""
    # The relationship, not agency_id: an assignment sets `case.agency` before any flush.
    agency_id = case.agency.id if case.agency is not None else None
    event = CaseEvent(**event_row(case.id, agency_id, event_type, actor=actor, occurred_at=occurred_at, **payload))
    session.add(event)
    session.info[EVENTS_WRITTEN] = True
    return event


def event_row(
    case_id: int,
    agency_id: int | None,
    event_type: EventType,
    *,
    actor: Actor,
    occurred_at: datetime,
    left_agency_id: int | None = None,
    **payload: Any,
) -> dict[str, Any]:
    """One event's columns, as record_event stores them (for append_events' single executemany)."""
    return {
        "case_id": case_id,
        "event_type": event_type,
        "actor_id": actor.user_id,
        "occurred_at": occurred_at,
        "payload": {"actor": actor.username, "role": actor.role.value, **payload},
        "agency_id": agency_id,
        "left_agency_id": left_agency_id,
    }


def append_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append event_row()s in one statement (recorded_at is the column's default, as for record_event)."""
    if rows:
        session.connection().execute(_APPEND_EVENTS, rows)  # a Core statement: no ORM execution around it
        session.info[EVENTS_WRITTEN] = True


# With RETURNING, SQLAlchemy sends the rows as one multi-row INSERT (insertmanyvalues), as the ORM's flush does.
_APPEND_EVENTS = insert(CaseEvent.__table__).returning(CaseEvent.__table__.c.id)  # type: ignore[arg-type]


def record_assignment(
    session: Session,
    case: Case,
    *,
    actor: Actor,
    occurred_at: datetime,
    agency_code: str,
    previous_agency: str | None,
    reason: str,
    left_agency_id: int | None = None,
    **details: Any,
) -> CaseEvent:
    """The case went to an agency: which, from which, and why (rule, default, or by hand)."""
    event = record_event(
        session,
        case,
        EventType.CASE_ASSIGNED,
        actor=actor,
        occurred_at=occurred_at,
        agency=agency_code,
        previous_agency=previous_agency,
        reason=reason,
        **details,
    )
    event.left_agency_id = left_agency_id  # the agency it was taken from learns it is gone
    return event


def record_once(
    session: Session,
    case_id: int,
    event_type: EventType,
    *,
    key: str,
    occurred_at: datetime,
    recorded_at: datetime,
    payload: dict[str, Any],
    agency_id: int | None,
) -> int | None:
    """Append an event that may exist only once per case and key (an SLA milestone, a ladder step).

    The unique index on (case_id, sla_key) decides: returns the new event's id, or None if
    another sweep (or an earlier run) already recorded it.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(CaseEvent.__table__)
        .values(
            case_id=case_id,
            event_type=event_type,
            actor_id=None,
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            payload=payload,
            sla_key=key,
            agency_id=agency_id,
        )
        .on_conflict_do_nothing(index_elements=["case_id", "sla_key"])
        .returning(CaseEvent.__table__.c.id)
    )
    event_id: int | None = session.execute(statement).scalar()
    session.info[EVENTS_WRITTEN] = True
    return event_id

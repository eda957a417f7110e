"""Cases due for the system's attention (an SLA check, a ladder step), locked for the one sweeper taking them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.models import Case


def lock_due(
    session: Session, column: InstrumentedAttribute[datetime | None], *, now: datetime, limit: int
) -> tuple[Sequence[int], Sequence[Case]]:
    """The ids and rows of up to `limit` cases whose `column` has passed, earliest first.

    An index range on `column`, so the cost follows what is due, not what is open. SKIP LOCKED:
    a second sweeper (or a user acting on the case) never waits; it takes other rows.
    """
    due_ids = session.scalars(
        select(Case.id).where(column <= now).order_by(column).limit(limit).with_for_update(skip_locked=True)
    ).all()
    if not due_ids:
        return (), ()
    return due_ids, session.scalars(select(Case).where(Case.id.in_(due_ids)).order_by(column)).all()

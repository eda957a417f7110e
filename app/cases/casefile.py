"""Everything about one case that its page shows, read in one go and scoped to the actor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import Actor, may_see
from app.cases import queries
from app.models import Call, Case, CaseEvent, Notification


@dataclass(frozen=True)
class CaseFile:
    case: Case
    events: Sequence[CaseEvent]
    notifications: Sequence[Notification]
    calls: Sequence[Call]
    parent: Case | None  # the case this one was merged into, if the actor may see it
    merged: Sequence[Case]  # the cases merged into this one that the actor may see
    hidden: set[str]  # case numbers named in the events that the actor may not see

    @property
    def last_event_id(self) -> int:
        return self.events[-1].id if self.events else 0


def read_case_file(*, session: Session, actor: Actor, case_no: str) -> CaseFile:
    """The case, its trail, its notifications and calls, its parent and merged cases (NotFound as get_case)."""
    case = queries.get_case(session=session, actor=actor, case_no=case_no)
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
    notifications = session.scalars(
        select(Notification).where(Notification.case_id == case.id).order_by(Notification.id)
    ).all()
    calls = session.scalars(select(Call).where(Call.case_id == case.id).order_by(Call.started_at, Call.id)).all()
    parent = case.parent_case if case.parent_case_id is not None else None
    merged = session.scalars(select(Case).where(Case.parent_case_id == case.id).order_by(Case.id)).all()
    return CaseFile(
        case=case,
        events=events,
        notifications=notifications,
        calls=calls,
        parent=parent if parent is not None and may_see(actor, parent) else None,
        merged=[child for child in merged if may_see(actor, child)],
        hidden=queries.hidden_case_references(session=session, actor=actor, events=events),
    )


def events_after(*, session: Session, actor: Actor, case_no: str, after_id: int) -> Sequence[CaseEvent]:
    """The case's events recorded after `after_id`: what changed since a page was read."""
    case = queries.get_case(session=session, actor=actor, case_no=case_no)
    return session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.id > after_id).order_by(CaseEvent.id)
    ).all()

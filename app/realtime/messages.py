"""Which case numbers a pushed event names, and which of them an agency's copy must blank."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases.queries import CASE_REFERENCE_KEYS
from app.models import Case, CaseEvent


def referenced_case_agencies(session: Session, events: list[CaseEvent]) -> dict[str, int | None]:
    """The agency of every case a merge event names, in one query per batch."""
    named = {str(event.payload[key]) for event in events for key in CASE_REFERENCE_KEYS if event.payload.get(key)}
    if not named:
        return {}
    rows = session.execute(select(Case.case_no, Case.agency_id).where(Case.case_no.in_(named))).all()
    return {case_no: agency_id for case_no, agency_id in rows}


def hidden_references(event: CaseEvent, references: dict[str, int | None]) -> frozenset[str]:
    """Case numbers in this event that belong to another agency: blanked in the agency's copy, as the API does."""
    named = {str(event.payload[key]) for key in CASE_REFERENCE_KEYS if event.payload.get(key)}
    return frozenset(case_no for case_no in named if references.get(case_no) != event.agency_id)

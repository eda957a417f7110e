"""Which case numbers a pushed event names (and which of them an agency's copy must blank), and
what the alert rules need to know of an event and its case."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases.queries import CASE_REFERENCE_KEYS
from app.models import Case, CaseEvent
from app.realtime.alerts import AlertCase, AlertEvent
from app.reference.names import ReferenceNames


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


def alert_facts(event: CaseEvent, case: Case, names: ReferenceNames) -> tuple[AlertEvent, AlertCase]:
    """What app/realtime/alerts.py needs to know of an event and its case, codes and names resolved."""
    category = names.categories.get(case.category_id)
    district = names.districts.get(case.district_id) if case.district_id is not None else None
    facts = AlertEvent(
        id=event.id,
        type=event.event_type,
        payload=event.payload,
        agency=names.agency_code(event.agency_id),
        recorded_at=event.recorded_at,
    )
    subject = AlertCase(
        case_no=case.case_no,
        status=case.status.value,
        agency=names.agency_code(case.agency_id),
        category=category.code if category else None,
        category_name_zh=category.name_zh if category else "",
        district=district.code if district else None,
        district_name_zh=district.name_zh if district else None,
        address=case.address,
    )
    return facts, subject

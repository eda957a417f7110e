"""What a pushed event looks like: its id, type and times, and a case summary shaped for the audience."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.present import local_iso
from app.cases import phones
from app.cases.queries import CASE_REFERENCE_KEYS
from app.models import Agency, Case, CaseEvent, Category, District
from app.realtime.alerts import AlertCase, AlertEvent
from app.realtime.audience import View
from app.reference.cache import reference_cache

DESCRIPTION_CHARS = 200  # a summary, not the case: the console opens the case for the rest


@dataclass(frozen=True)
class ReferenceNames:
    """Reference rows by id, so shaping a batch of events needs no query per event."""

    agencies: dict[int, Agency]
    categories: dict[int, Category]
    districts: dict[int, District]

    @classmethod
    def load(cls, session: Session) -> ReferenceNames:
        snapshot = reference_cache.snapshot(session)
        return cls(
            agencies={row.id: row for row in snapshot.agencies.values()},
            categories={row.id: row for row in snapshot.categories.values()},
            districts={row.id: row for row in snapshot.districts.values()},
        )

    def agency_code(self, agency_id: int | None) -> str | None:
        agency = self.agencies.get(agency_id) if agency_id is not None else None
        return agency.code if agency is not None else None


def case_summary(case: Case, view: View, names: ReferenceNames, tz: ZoneInfo) -> dict[str, Any]:
    category = names.categories.get(case.category_id)
    district = names.districts.get(case.district_id) if case.district_id is not None else None
    if case.anonymous and view is View.AGENCY:
        reporter_name, reporter_phone = None, None
    elif view is View.AGENCY:
        reporter_name, reporter_phone = case.reporter_name, phones.mask(case.reporter_phone)
    else:
        reporter_name, reporter_phone = case.reporter_name, case.reporter_phone
    description = case.description or ""
    return {
        "case_no": case.case_no,
        "case_type": case.case_type.value,
        "status": case.status.value,
        "category": category.code if category else None,
        "category_name_zh": category.name_zh if category else None,
        "category_name_en": category.name_en if category else None,
        "urgent": bool(category.urgent) if category else False,
        "district": district.code if district else None,
        "district_name_zh": district.name_zh if district else None,
        "agency": names.agency_code(case.agency_id),
        "address": case.address,
        "description": description[:DESCRIPTION_CHARS],
        "reporter_name": reporter_name,
        "reporter_phone": reporter_phone,
        "anonymous": case.anonymous,
        "sla_stage": case.sla_stage,
        "sla_due_at": local_iso(case.sla_due_at, tz),
        "version": case.version,
    }


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


def event_message(
    event: CaseEvent,
    case: Case,
    view: View,
    names: ReferenceNames,
    tz: ZoneInfo,
    *,
    late: bool = False,
    hidden: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """One `event` message. An agency's copy never carries the reporter's full phone number, nor
    the number of another agency's case (`hidden`)."""
    payload = {
        key: (None if isinstance(value, str) and value in hidden else value)
        for key, value in event.payload.items()
        if key not in ("actor", "role")
    }
    if view is View.AGENCY and case.reporter_phone:
        masked = phones.mask(case.reporter_phone) if not case.anonymous else None
        payload = {
            key: (masked if isinstance(value, str) and case.reporter_phone in value else value)
            for key, value in payload.items()
        }
    message: dict[str, Any] = {
        "id": event.id,
        "type": event.event_type,
        "case_no": case.case_no,
        "actor": event.payload.get("actor"),
        "occurred_at": local_iso(event.occurred_at, tz),
        "recorded_at": local_iso(event.recorded_at, tz),
        "agency": names.agency_code(event.agency_id),
        "left_agency": names.agency_code(event.left_agency_id),
        "case": case_summary(case, view, names, tz),
        "payload": payload,
    }
    if late:
        message["late"] = True  # committed after later events had been pushed: insert it by id
    return message


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

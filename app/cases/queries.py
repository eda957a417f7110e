"""Reading cases: one case, a filtered page of cases, a case's events — scoped to the actor."""

from __future__ import annotations

import base64
import binascii
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from app import phones
from app.access import Actor
from app.cases import numbers, search
from app.errors import N_, InvalidInput, NotFound
from app.models import Agency, Case, CaseEvent, Category, District, Notification
from app.vocabulary import CaseStatus, CaseType
from sla.timeline import Stage

MAX_PAGE = 100
T = TypeVar("T")


@dataclass(frozen=True)
class CaseFilter:
    status: CaseStatus | None = None
    case_type: CaseType | None = None
    category: str | None = None
    agency: str | None = None
    district: str | None = None
    phone: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    q: str | None = None
    sla: SlaFilter | None = None


class SlaFilter(enum.StrEnum):
    AT_RISK = "at_risk"  # a warning has fired, the deadline has not passed
    BREACHED = "breached"  # 逾期, escalated or not


SLA_STAGES = {
    SlaFilter.AT_RISK: [Stage.AT_RISK.value],
    SlaFilter.BREACHED: [Stage.BREACHED.value, Stage.ESCALATED.value],
}


@dataclass(frozen=True)
class CasePage:
    items: Sequence[Case]
    next_cursor: str | None


def _scoped(statement: Select[T], actor: Actor) -> Select[T]:
    if actor.is_agency:
        return statement.where(Case.agency_id == actor.agency_id)
    return statement


def get_case(*, session: Session, actor: Actor, case_no: str) -> Case:
    case = session.scalar(_scoped(select(Case).where(Case.case_no == case_no), actor))
    if case is None:
        raise NotFound("case.not_found", case_no=case_no)
    return case


def case_events(*, session: Session, actor: Actor, case_no: str) -> Sequence[CaseEvent]:
    case = get_case(session=session, actor=actor, case_no=case_no)
    return session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()


def case_notifications(*, session: Session, actor: Actor, case_no: str) -> Sequence[Notification]:
    """The SMS and calls sent about a case, oldest first, whatever their state."""
    case = get_case(session=session, actor=actor, case_no=case_no)
    return session.scalars(select(Notification).where(Notification.case_id == case.id).order_by(Notification.id)).all()


# Event payload keys that name another case.
CASE_REFERENCE_KEYS = ("into", "merged")


def hidden_case_references(*, session: Session, actor: Actor, events: Sequence[CaseEvent]) -> set[str]:
    """Case numbers named in these events that the actor may not see (another agency's case)."""
    named = {str(event.payload[key]) for event in events for key in CASE_REFERENCE_KEYS if event.payload.get(key)}
    if not named or not actor.is_agency:
        return set()
    visible = set(session.scalars(_scoped(select(Case.case_no).where(Case.case_no.in_(named)), actor)))
    return named - visible


_MAX_ID = 2**63 - 1
_CURSOR = re.compile(r"^c(\d{1,19})$")
_DUE_CURSOR = re.compile(r"^s(-?\d{1,17})_(\d{1,19})$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _cursor_text(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise _bad_cursor() from exc


def _bad_cursor() -> InvalidInput:
    return InvalidInput("validation.failed", fields={"cursor": [N_("field.bad_cursor")]})


def _case_id(digits: str) -> int:
    case_id = int(digits)
    if not 0 < case_id <= _MAX_ID:
        raise _bad_cursor()
    return case_id


def encode_cursor(case_id: int) -> str:
    return base64.urlsafe_b64encode(f"c{case_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    match = _CURSOR.match(_cursor_text(cursor))
    if match is None:
        raise _bad_cursor()
    return _case_id(match.group(1))


def encode_due_cursor(due_at: datetime, case_id: int) -> str:
    micros = (due_at - _EPOCH) // timedelta(microseconds=1)
    return base64.urlsafe_b64encode(f"s{micros}_{case_id}".encode()).decode().rstrip("=")


def decode_due_cursor(cursor: str) -> tuple[datetime, int]:
    match = _DUE_CURSOR.match(_cursor_text(cursor))
    if match is None:
        raise _bad_cursor()
    try:
        due_at = _EPOCH + timedelta(microseconds=int(match.group(1)))
    except OverflowError as exc:
        raise _bad_cursor() from exc
    if not 1900 <= due_at.year <= 2200:
        raise _bad_cursor()
    return due_at, _case_id(match.group(2))


def _query_condition(session: Session, query: str) -> ColumnElement[bool] | search.TextMatch:
    """A case number or a phone number finds that case or caller; anything else is text."""
    stripped = query.strip()
    if numbers.CASE_NO_PATTERN.match(stripped):
        return Case.case_no == stripped
    if sum(ch.isdigit() for ch in stripped) >= 7 and not any(ch.isalpha() for ch in stripped):
        e164 = phones.try_normalise(stripped)
        if e164 is not None:
            return Case.reporter_phone == e164
    return search.match_all_terms(session, stripped)


def _code_filter(statement: Select[T], column, model, code: str) -> Select[T]:  # type: ignore[no-untyped-def]
    return statement.where(column == select(model.id).where(model.code == code).scalar_subquery())


def list_cases(
    *, session: Session, actor: Actor, filters: CaseFilter, limit: int = 50, cursor: str | None = None
) -> CasePage:
    """Newest first; the cursor is the last id of the previous page, so pages never shift."""
    statement = _scoped(select(Case.id), actor)
    if filters.status:
        statement = statement.where(Case.status == filters.status)
    if filters.case_type:
        statement = statement.where(Case.case_type == filters.case_type)
    if filters.category:
        statement = _code_filter(statement, Case.category_id, Category, filters.category)
    if filters.agency:
        statement = _code_filter(statement, Case.agency_id, Agency, filters.agency)
    if filters.district:
        statement = _code_filter(statement, Case.district_id, District, filters.district)
    if filters.phone:
        try:
            e164 = phones.normalise(filters.phone)
        except InvalidInput as refusal:
            # "No earlier cases" for a mistyped number would mislead the agent: say it is wrong.
            raise InvalidInput("validation.failed", fields={"phone": [refusal.code]}, **refusal.params) from refusal
        statement = statement.where(Case.reporter_phone == e164)
    if filters.created_from:
        statement = statement.where(Case.created_at >= filters.created_from)
    if filters.created_to:
        statement = statement.where(Case.created_at < filters.created_to)
    if filters.received_from:
        statement = statement.where(Case.received_at >= filters.received_from)
    if filters.received_to:
        statement = statement.where(Case.received_at < filters.received_to)
    text_match = None
    if filters.q and filters.q.strip():
        condition = _query_condition(session, filters.q)
        if isinstance(condition, search.TextMatch):
            text_match, condition = condition, condition.condition
        statement = statement.where(condition)
    limit = max(1, min(limit, MAX_PAGE))
    if filters.sla:
        return _by_time_to_breach(session, statement.where(Case.sla_stage.in_(SLA_STAGES[filters.sla])), limit, cursor)
    if cursor:
        statement = statement.where(Case.id < decode_cursor(cursor))
    # Ids first, on the narrow table; then the page's rows with their reference data.
    with search.newest_first_plan(session, text_match):
        ids = session.scalars(statement.order_by(Case.id.desc()).limit(limit + 1)).all()
    next_cursor = encode_cursor(ids[limit - 1]) if len(ids) > limit else None
    page_ids = ids[:limit]
    rows = session.scalars(select(Case).where(Case.id.in_(page_ids)).order_by(Case.id.desc())).all() if page_ids else []
    return CasePage(items=rows, next_cursor=next_cursor)


def _by_time_to_breach(session: Session, statement: Select[int], limit: int, cursor: str | None) -> CasePage:
    """The SLA lists: the deadline nearest (or longest past) first; the cursor is (deadline, id)."""
    if cursor:
        due_at, case_id = decode_due_cursor(cursor)
        statement = statement.where(or_(Case.sla_due_at > due_at, and_(Case.sla_due_at == due_at, Case.id > case_id)))
    rows = session.execute(
        statement.add_columns(Case.sla_due_at).order_by(Case.sla_due_at, Case.id).limit(limit + 1)
    ).all()
    next_cursor = encode_due_cursor(rows[limit - 1][1], rows[limit - 1][0]) if len(rows) > limit else None
    page_ids = [row[0] for row in rows[:limit]]
    by_id = {case.id: case for case in session.scalars(select(Case).where(Case.id.in_(page_ids)))} if page_ids else {}
    return CasePage(items=[by_id[case_id] for case_id in page_ids], next_cursor=next_cursor)

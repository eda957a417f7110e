"""Reading cases: one case, a filtered page of cases, a case's events — scoped to the actor."""

from __future__ import annotations

import base64
import binascii
import enum
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, Select, and_, or_, select
from sqlalchemy.orm import Session, aliased

from app import phones
from app.access import Actor
from app.cases import numbers, search
from app.errors import N_, Forbidden, InvalidInput, NotFound
from app.models import Agency, Case, CaseEvent, Category, District, Notification, SlaPause
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


def _visible_case_id(session: Session, actor: Actor, case_no: str) -> int:
    case_id = session.scalar(_scoped(select(Case.id).where(Case.case_no == case_no), actor))
    if case_id is None:
        raise NotFound("case.not_found", case_no=case_no)
    return case_id


def case_events(*, session: Session, actor: Actor, case_no: str) -> Sequence[CaseEvent]:
    case_id = _visible_case_id(session, actor, case_no)
    return session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()


def case_event_lines(*, session: Session, actor: Actor, case_no: str) -> Sequence[Row[Any]]:
    """`case_events` as rows of what the timeline shows (no ORM objects to build), for the API."""
    case_id = _visible_case_id(session, actor, case_no)
    columns = (CaseEvent.id, CaseEvent.event_type, CaseEvent.payload, CaseEvent.occurred_at, CaseEvent.recorded_at)
    return session.execute(select(*columns).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()


def case_notifications(*, session: Session, actor: Actor, case_no: str) -> Sequence[Notification]:
    """The SMS and calls sent about a case, oldest first, whatever their state."""
    case = get_case(session=session, actor=actor, case_no=case_no)
    return session.scalars(select(Notification).where(Notification.case_id == case.id).order_by(Notification.id)).all()


# Event payload keys that name another case.
CASE_REFERENCE_KEYS = ("into", "merged")


def hidden_case_references(*, session: Session, actor: Actor, events: Sequence[CaseEvent | Row[Any]]) -> set[str]:
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


def _looks_like_a_phone(query: str) -> bool:
    return sum(ch.isdigit() for ch in query) >= 7 and not any(ch.isalpha() for ch in query)


def _refuse_phone_search(actor: Actor, field: str) -> None:
    """The one rule of who may search by phone: those who see phones in full (access.MASKED_ROLES).

    A masked view shows 0921***979; letting it try the 1,000 candidates against a filter would unmask
    the number, and find an anonymous reporter's other cases. Refused before any query, so a refusal
    says nothing about whether such a case exists."""
    if actor.sees_masked_phones:
        raise Forbidden("search.phone_not_allowed", fields={field: [N_("search.phone_not_allowed")]})


def _query_condition(session: Session, actor: Actor, query: str) -> ColumnElement[bool] | search.TextMatch:
    """A case number or a phone number finds that case or caller; anything else is text."""
    stripped = unicodedata.normalize("NFKC", query).strip()  # １１５１１２３－０００１ is a case number too
    if numbers.CASE_NO_PATTERN.match(stripped):
        return Case.case_no == stripped
    if _looks_like_a_phone(stripped):
        _refuse_phone_search(actor, "q")
        e164 = phones.try_normalise(stripped)
        if e164 is not None:
            return Case.reporter_phone == e164
    return search.match_all_terms(session, stripped)


def _code_filter(statement: Select[T], column, model, code: str) -> Select[T]:  # type: ignore[no-untyped-def]
    return statement.where(column == select(model.id).where(model.code == code).scalar_subquery())


def _filtered_ids(session: Session, actor: Actor, filters: CaseFilter) -> tuple[Select[int], search.TextMatch | None]:
    """The ids of the actor's cases that pass the filters (unordered, unlimited), and the text match if any."""
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
        _refuse_phone_search(actor, "phone")
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
        condition = _query_condition(session, actor, filters.q)
        if isinstance(condition, search.TextMatch):
            text_match, condition = condition, condition.condition
        statement = statement.where(condition)
    if filters.sla:
        statement = statement.where(Case.sla_stage.in_(SLA_STAGES[filters.sla]))
    return statement, text_match


@dataclass(frozen=True)
class _Page:
    """A page's ids as a subquery (ordered, limit + 1), the ordering, and how to make the next cursor."""

    ids: Select[int]
    order: tuple[ColumnElement[Any], ...]
    cursor_of: Callable[[Any], str]
    limit: int
    text_match: search.TextMatch | None


def _page(session: Session, actor: Actor, filters: CaseFilter, limit: int, cursor: str | None) -> _Page:
    """Newest first, or nearest deadline first for the SLA lists; keyset cursors, so pages never shift."""
    statement, text_match = _filtered_ids(session, actor, filters)
    limit = max(1, min(limit, MAX_PAGE))
    if filters.sla:
        if cursor:
            due_at, case_id = decode_due_cursor(cursor)
            statement = statement.where(
                or_(Case.sla_due_at > due_at, and_(Case.sla_due_at == due_at, Case.id > case_id))
            )
        order: tuple[ColumnElement[Any], ...] = (Case.sla_due_at.asc(), Case.id.asc())
        cursor_of: Callable[[Any], str] = lambda row: encode_due_cursor(row.sla_due_at, row.id)  # noqa: E731
    else:
        if cursor:
            statement = statement.where(Case.id < decode_cursor(cursor))
        order, cursor_of = (Case.id.desc(),), lambda row: encode_cursor(row.id)
    # Not correlated with the outer query, which reads the same table: the page's ids are chosen first,
    # on the narrow index, and only their rows are read and joined.
    ids = statement.order_by(*order).limit(limit + 1).correlate(None)
    return _Page(ids=ids, order=order, cursor_of=cursor_of, limit=limit, text_match=text_match)


def list_cases(
    *, session: Session, actor: Actor, filters: CaseFilter, limit: int = 50, cursor: str | None = None
) -> CasePage:
    """Newest first; the cursor is the last id of the previous page, so pages never shift."""
    page = _page(session, actor, filters, limit, cursor)
    with search.newest_first_plan(session, page.text_match):
        rows = session.scalars(select(Case).where(Case.id.in_(page.ids)).order_by(*page.order)).all()
    next_cursor = page.cursor_of(rows[page.limit - 1]) if len(rows) > page.limit else None
    return CasePage(items=rows[: page.limit], next_cursor=next_cursor)


@dataclass(frozen=True)
class CaseLinePage:
    items: Sequence[Row[Any]]  # CASE_LINE columns, by name
    next_cursor: str | None


_category, _district, _agency = aliased(Category), aliased(District), aliased(Agency)
_parent = aliased(Case)
_open_pause_since = (
    select(SlaPause.started_at)
    .where(SlaPause.case_id == Case.id, SlaPause.ended_at.is_(None))
    .order_by(SlaPause.id.desc())
    .limit(1)
    .scalar_subquery()
)
# A case as the API shows it, in one row: its own columns, the codes of its reference rows, its parent's
# number and agency (whether this actor may see it), and when its open pause began (if it waits).
CASE_LINE: tuple[Any, ...] = (
    # Only the columns shown (each value read costs a conversion), under the case's own names.
    Case.id,
    Case.case_no,
    Case.case_type,
    Case.channel,
    Case.status,
    Case.agency_id,
    Case.address,
    Case.latitude,
    Case.longitude,
    Case.description,
    Case.reporter_name,
    Case.reporter_phone,
    Case.anonymous,
    Case.wants_sms_reply,
    Case.resolution,
    Case.report_text,
    Case.report_outcome,
    Case.report_count,
    Case.version,
    Case.received_at,
    Case.created_at,
    Case.updated_at,
    Case.assigned_at,
    Case.acknowledged_at,
    Case.reported_at,
    Case.closed_at,
    Case.reopened_at,
    Case.merged_at,
    Case.cancelled_at,
    Case.sla_policy,
    Case.sla_policy_version,
    Case.sla_round,
    Case.sla_stage,
    Case.sla_started_at,
    Case.ack_due_at,
    Case.report_due_at,
    Case.sla_due_at,
    _category.code.label("category_code"),
    _district.code.label("district_code"),
    _agency.code.label("agency_code"),
    _parent.case_no.label("parent_case_no"),
    _parent.agency_id.label("parent_agency_id"),
    _open_pause_since.label("paused_since"),
)


def _lines(condition: ColumnElement[bool]) -> Select[Any]:
    return (
        select(*CASE_LINE)
        .join(_category, _category.id == Case.category_id)
        .outerjoin(_district, _district.id == Case.district_id)
        .outerjoin(_agency, _agency.id == Case.agency_id)
        .outerjoin(_parent, _parent.id == Case.parent_case_id)
        .where(condition)
    )


def list_case_lines(
    *, session: Session, actor: Actor, filters: CaseFilter, limit: int = 50, cursor: str | None = None
) -> CaseLinePage:
    """`list_cases` as rows of CASE_LINE in one statement, for pages that show many cases."""
    page = _page(session, actor, filters, limit, cursor)
    with search.newest_first_plan(session, page.text_match):
        rows = session.execute(_lines(Case.id.in_(page.ids)).order_by(*page.order)).all()
    next_cursor = page.cursor_of(rows[page.limit - 1]) if len(rows) > page.limit else None
    return CaseLinePage(items=rows[: page.limit], next_cursor=next_cursor)


def case_line(*, session: Session, actor: Actor, case_no: str) -> Row[Any]:
    """One case as a CASE_LINE row, scoped to the actor."""
    condition = Case.case_no == case_no
    if actor.is_agency:
        condition = and_(condition, Case.agency_id == actor.agency_id)
    row = session.execute(_lines(condition)).first()
    if row is None:
        raise NotFound("case.not_found", case_no=case_no)
    return row

"""Opening a case: validate, normalise, number, route, and record it in one transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import FromClause, insert, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, make_transient_to_detached

from app import phones
from app.access import Actor
from app.alerting import alerts
from app.audit import EVENTS_WRITTEN, append_events, event_row
from app.cases import deadlines, numbers, search
from app.cases.assignment import resolve_agency
from app.cases.lifecycle import CLOSABLE_WITHOUT_REPORT
from app.db import utcnow, write_transaction
from app.errors import N_, Forbidden, InvalidInput
from app.models import Case, CaseEvent, Category, Notification
from app.reference import lookups
from app.vocabulary import CaseStatus, CaseType, Channel, EventType, NotificationKind, Role

RECEIVED_MAX_AGE = timedelta(days=30)
# Consoles and servers disagree by a little; a letter stamped "now" must not be refused.
CLOCK_SKEW = timedelta(minutes=2)
ROUTED_TYPES = frozenset({CaseType.PETITION, CaseType.DISPATCH, CaseType.SUPERVISION})
LOCATED_TYPES = frozenset({CaseType.DISPATCH, CaseType.SUPERVISION})
INTAKE_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True)
class NewCase:
    """What an agent (or a channel) tells us about a new matter."""

    channel: Channel
    category_code: str
    description: str
    case_type: CaseType | None = None
    district_code: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    anonymous: bool = False
    wants_sms_reply: bool = False
    received_at: datetime | None = None
    answer: str | None = None


def _field_error(field: str, code: str, **params: object) -> InvalidInput:
    return InvalidInput("validation.failed", fields={field: [code]}, **params)


def _check_received_at(received_at: datetime | None, now: datetime) -> datetime:
    if received_at is None:
        return now
    if received_at.tzinfo is None:
        raise _field_error("received_at", N_("field.naive_datetime"))
    if received_at > now + CLOCK_SKEW:
        raise _field_error("received_at", N_("field.received_in_future"))
    if received_at < now - RECEIVED_MAX_AGE:
        raise _field_error("received_at", N_("field.received_too_old"), days=RECEIVED_MAX_AGE.days)
    return received_at


def _reporter_phone(new_case: NewCase) -> str | None:
    if not new_case.reporter_phone or not new_case.reporter_phone.strip():
        if new_case.wants_sms_reply:
            raise _field_error("reporter_phone", N_("field.sms_needs_mobile"))
        return None
    try:
        phone = phones.normalise(new_case.reporter_phone)
    except InvalidInput as exc:
        raise InvalidInput("validation.failed", fields={"reporter_phone": [exc.code]}, **exc.params) from exc
    if new_case.wants_sms_reply and not phones.is_mobile(phone):
        raise _field_error("reporter_phone", N_("field.sms_needs_mobile"))
    return phone


def _case_type(new_case: NewCase, category: Category) -> CaseType:
    if new_case.case_type is not None and new_case.case_type != category.case_type:
        raise _field_error(
            "case_type",
            N_("field.type_mismatch"),
            category=category.code,
            expected=category.case_type.value,
            given=new_case.case_type.value,
        )
    return category.case_type


def open_case(
    *,
    session: Session,
    actor: Actor,
    new_case: NewCase,
    tz: ZoneInfo,
    now: datetime | None = None,
) -> Case:
    """Record a new case with its events; route it, or answer and close a consultation at once."""
    if actor.role not in INTAKE_ROLES:
        raise Forbidden("auth.forbidden", role=actor.role.value)
    # Intakes come many at once: on SQLite they queue in the process, not in SQLite's busy-wait (app/db.py).
    with write_transaction(session, queue_on_sqlite=True):
        return record_case(session=session, actor=actor, new_case=new_case, tz=tz, now=now or utcnow())


def record_case(*, session: Session, actor: Actor, new_case: NewCase, tz: ZoneInfo, now: datetime) -> Case:
    """open_case's work inside the caller's transaction (a call that opens a case ends in the same one)."""
    if actor.role not in INTAKE_ROLES:
        raise Forbidden("auth.forbidden", role=actor.role.value)
    category = lookups.active_category(session, new_case.category_code)
    case_type = _case_type(new_case, category)
    district = lookups.active_district(session, new_case.district_code) if new_case.district_code else None
    if district is None and case_type in LOCATED_TYPES:
        raise _field_error("district", N_("field.district_required"), case_type=case_type.value)
    if new_case.anonymous and new_case.reporter_name:
        raise _field_error("reporter_name", N_("field.anonymous_with_name"))
    if new_case.answer and case_type not in CLOSABLE_WITHOUT_REPORT:
        raise _field_error("answer", N_("field.answer_only_consultation"))
    received_at = _check_received_at(new_case.received_at, now)
    reporter_phone = _reporter_phone(new_case)

    agency, decision = resolve_agency(session, category, district) if case_type in ROUTED_TYPES else (None, None)
    answered = bool(new_case.answer and new_case.answer.strip())
    # Built, not added: its row (and every row below) is written by one Core statement each, not the ORM's flush.
    case = Case(
        case_no=numbers.next_case_no(session, now=now, tz=tz),
        case_type=case_type,
        channel=new_case.channel,
        status=CaseStatus.ASSIGNED if agency else CaseStatus.CLOSED if answered else CaseStatus.NEW,
        category=category,
        category_id=category.id,
        district=district,
        district_id=district.id if district else None,
        agency=agency,
        agency_id=agency.id if agency else None,
        address=(new_case.address or "").strip() or None,
        latitude=new_case.latitude,
        longitude=new_case.longitude,
        description=new_case.description.strip(),
        reporter_name=(new_case.reporter_name or "").strip() or None,
        reporter_phone=reporter_phone,
        anonymous=new_case.anonymous,
        wants_sms_reply=new_case.wants_sms_reply,
        resolution=new_case.answer.strip() if answered and new_case.answer else None,
        created_by_id=actor.user_id,
        received_at=received_at,
        created_at=now,
        updated_at=now,
        assigned_at=now if agency else None,
        closed_at=now if answered else None,
    )
    case.search_text = search.search_text(case.description, case.address)
    if agency is not None:
        # Deadlines and the ladder go into the case's own INSERT (no UPDATE after it).
        deadlines.start_round(session, case, start=received_at, now=now)
        alerts.start_ladder_of(session, case, now=now)
    _insert_case(session, case)  # INSERT ... RETURNING id; from here the case is in the session as stored

    # Its search grams, the audit trail and the outbox, written together at the end.
    events = [
        event_row(
            case.id,
            case.agency_id,
            EventType.CASE_CREATED,
            actor=actor,
            occurred_at=now,
            case_no=case.case_no,
            case_type=case_type.value,
            channel=case.channel.value,
            category=category.code,
            district=district.code if district else None,
            received_at=received_at.isoformat(),
        )
    ]
    outbox: list[dict[str, Any]] = []
    if agency is not None and decision is not None:
        events.append(
            event_row(
                case.id,
                agency.id,
                EventType.CASE_ASSIGNED,
                actor=actor,
                occurred_at=now,
                agency=agency.code,
                previous_agency=None,
                reason=decision.reason.value,
            )
        )
        skipped, texts = alerts.dispatch_rows(session, case, actor=actor, now=now)
        events += skipped
        outbox += texts
    elif decision is not None:
        events.append(
            event_row(
                case.id, None, EventType.ROUTING_FAILED, actor=actor, occurred_at=now, reason=decision.reason.value
            )
        )
    elif answered:
        events.append(
            event_row(case.id, None, EventType.CASE_CLOSED, actor=actor, occurred_at=now, resolution=case.resolution)
        )
    receipt = alerts.citizen_text_row(
        session, case, kind=NotificationKind.CITIZEN_RECEIPT, body=alerts.citizen_receipt(case), now=now
    )
    if receipt is not None:
        outbox.append(receipt)
    _write_rows(session, case, events, outbox)
    return case


_CASES = Case.__table__
# Every column but the id, each known (a column's Python default when the intake leaves it unset), so that the
# object holds what the row holds without reading it back.
_CASE_DEFAULTS: dict[str, Any] = {
    column.key: column.default.arg if column.default is not None else None for column in _CASES.c if column.key != "id"
}
# Columns whose NULL must be written, not left to a default.
_DEFAULTED = frozenset(column.key for column in _CASES.c if column.default is not None or column.server_default)
_INSERT_CASE = insert(_CASES).returning(_CASES.c.id)  # type: ignore[arg-type]


def _insert_case(session: Session, case: Case) -> None:
    """Write the built case in one INSERT ... RETURNING id and put it in the session as if it had been loaded."""
    values = {key: case.__dict__.get(key, default) for key, default in _CASE_DEFAULTS.items()}
    values["version"] = 1  # the ORM's version counter starts at 1
    # NULL columns are left out: psycopg re-parses every statement of more than 50 parameters (a case has 51),
    # and the few shapes that remain (a dispatch, a consultation, ...) are each compiled and parsed once.
    written = {key: value for key, value in values.items() if value is not None or key in _DEFAULTED}
    case_id = session.connection().execute(_INSERT_CASE, written).scalar_one()
    for key, value in values.items():
        if key not in case.__dict__ or key == "version":
            setattr(case, key, value)
    case.id = case_id
    make_transient_to_detached(case)  # as if loaded: later changes are UPDATEs with its version
    session.add(case)


def _write_rows(session: Session, case: Case, events: list[dict[str, Any]], outbox: list[dict[str, Any]]) -> None:
    """The case's grams, events and outbox rows: on PostgreSQL one statement (two round trips fewer, and one
    statement text whatever the number of rows), elsewhere one statement each."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        search.index_case(session, case)
        append_events(session, events)
        alerts.queue_notifications(session, outbox)
        return
    written_at = utcnow()
    connection.execute(
        _WRITE_ROWS,
        {
            "case_id": case.id,
            "grams": search.grams_of(case),
            "events": _json_rows(events, {"recorded_at": written_at}),
            "outbox": _json_rows(outbox, {**_OUTBOX_DEFAULTS, "created_at": written_at}),
        },
    )
    session.info[EVENTS_WRITTEN] = True


# The rows travel as two JSON arrays which json_to_recordset spreads into columns of the tables' own types; the
# columns are those event_row() and notification_row() give, and the defaults the tables would have applied.
_EVENT_COLUMNS = ("event_type", "actor_id", "occurred_at", "recorded_at", "payload", "agency_id", "left_agency_id")
_OUTBOX_COLUMNS = (
    "kind", "channel", "recipient", "recipient_name", "body", "next_attempt_at", "status", "attempts", "created_at",
)  # fmt: skip


_TIMESTAMPS = frozenset({"occurred_at", "recorded_at", "next_attempt_at", "created_at"})


def _json_rows(rows: list[dict[str, Any]], defaults: dict[str, Any]) -> str:
    """The rows as one JSON array: timestamps as ISO 8601 with their offset (they are aware), and a payload
    encoded as the JSON column would encode it (json.dumps, which refuses what it refuses on SQLite too)."""
    shown = []
    for row in rows:
        row = {**defaults, **row}
        shown.append({key: value.isoformat() if key in _TIMESTAMPS else value for key, value in row.items()})
    return json.dumps(shown)


def _recordset(table: FromClause, columns: tuple[str, ...]) -> str:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return ", ".join(f"{name} {table.c[name].type.compile(dialect=dialect)}" for name in columns)


def _select_list(columns: tuple[str, ...]) -> str:
    return ", ".join(columns)


_EVENTS, _OUTBOX = CaseEvent.__table__, Notification.__table__
# The outbox columns' own scalar defaults (status pending, no attempts), as the table would apply them.
_OUTBOX_DEFAULTS = {
    column.key: column.default.arg
    for column in _OUTBOX.c
    if column.key in _OUTBOX_COLUMNS and column.default is not None and column.default.is_scalar
}
_WRITE_ROWS = text(
    f"""
    WITH grams AS (
        INSERT INTO case_search_grams (case_id, grams) VALUES (CAST(:case_id AS BIGINT), string_to_array(:grams, ' '))
    ), events AS (
        INSERT INTO case_events (case_id, {_select_list(_EVENT_COLUMNS)})
        SELECT CAST(:case_id AS BIGINT), {_select_list(_EVENT_COLUMNS)}
        FROM json_to_recordset(CAST(:events AS JSON)) AS r({_recordset(_EVENTS, _EVENT_COLUMNS)})
    )
    INSERT INTO notifications (case_id, {_select_list(_OUTBOX_COLUMNS)})
    SELECT CAST(:case_id AS BIGINT), {_select_list(_OUTBOX_COLUMNS)}
    FROM json_to_recordset(CAST(:outbox AS JSON)) AS r({_recordset(_OUTBOX, _OUTBOX_COLUMNS)})
    """
)

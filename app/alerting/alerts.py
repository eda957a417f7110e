"""Alerts at dispatch: SMS to the duty phones, the ladder while nobody acknowledges, citizen SMS.

Every function here runs inside the caller's transaction and only writes rows (events and
outbox notifications); the worker's sender does the sending after commit. The consoles' alerts
are raised by the live feed from the events themselves (app/realtime/alerts.py).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import insert, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app import phones
from app.access import Actor
from app.audit import event_row, record_event
from app.models import Agency, Case, Notification, SmsOptOut
from app.reference.freshness import cached
from app.reference.ladders import StoredLadder, current_ladder, stored_ladder
from app.reference.rosters import duty_now
from app.vocabulary import (
    LADDER_KINDS,
    CaseStatus,
    EventType,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    Role,
)

log = logging.getLogger(__name__)

# Steps the system takes by itself (the ladder) are recorded under this name.
SYSTEM = Actor(user_id=None, username="dispatch", role=Role.ADMIN)


def ladder_of(session: Session, case: Case) -> StoredLadder:
    """The ladder version the case's ladder started with, whatever the file says now.

    A case whose ladder started before ladders were versioned has none recorded: it climbs the
    current version for its category and agency, which the sweep records at its next step, so
    from then on it keeps that one too. (A recorded version is never deleted; should one be
    missing all the same, the current ladder beats no calls at all.)
    """
    if case.alert_ladder is not None and case.alert_ladder_version is not None:
        policy = stored_ladder(session, key=case.alert_ladder, version=case.alert_ladder_version)
        if policy is not None:
            return StoredLadder(policy, case.alert_ladder_version)
        log.error("case %s: ladder %s v%s not stored", case.case_no, case.alert_ladder, case.alert_ladder_version)
    return current_ladder(session, category=case.category.code, agency=case.agency.code if case.agency else None)


def _place(case: Case) -> str:
    district = case.district.name_zh if case.district else ""
    address = case.address or ""
    return address if district and address.startswith(district) else f"{district}{address}"


def dispatch_text(case: Case) -> str:
    """The SMS to the agency's duty phone: what, where, and how to acknowledge by reply."""
    return (
        f"【1999派工】{case.case_no} {case.category.name_zh}，{_place(case)}。{case.description[:60]}"
        f" 收到請回覆 1（或「收到 {case.case_no}」）。"
    )


def spoken_text(case: Case) -> str:
    """What the voice call says, in Mandarin: case number, category, district, address."""
    digits = " ".join(case.case_no.replace("-", " 之 "))
    return f"這裡是高雄市一九九九派工通知。案件編號 {digits}，{case.category.name_zh}，地點 {_place(case)}。"


def notification_row(
    case_id: int, *, kind: NotificationKind, recipient: str, body: str, now: datetime, recipient_name: str | None = None
) -> dict[str, Any]:
    """An SMS for the outbox, as columns (status, attempts and created_at are the columns' defaults)."""
    return {
        "case_id": case_id,
        "kind": kind,
        "channel": NotificationChannel.SMS,
        "recipient": recipient,
        "recipient_name": recipient_name,
        "body": body,
        "next_attempt_at": now,
    }


def queue_notifications(session: Session, rows: list[dict[str, Any]]) -> None:
    """notification_row()s into the outbox in one statement; the sender sends them after commit."""
    if rows:
        session.connection().execute(_QUEUE, rows)  # a Core statement: no ORM execution around it


# With RETURNING, SQLAlchemy sends the rows as one multi-row INSERT (insertmanyvalues), as the ORM's flush does.
_QUEUE = insert(Notification.__table__).returning(Notification.__table__.c.id)  # type: ignore[arg-type]


def _notify(
    session: Session,
    case: Case,
    *,
    kind: NotificationKind,
    recipient: str,
    body: str,
    now: datetime,
    recipient_name: str | None = None,
) -> None:
    """An SMS in the outbox: the sender sends it after commit."""
    row = notification_row(case.id, kind=kind, recipient=recipient, body=body, now=now, recipient_name=recipient_name)
    session.add(Notification(**row))


Contact = tuple[str | None, str, str | None]  # name, phone, why not texted (None: texted)


def _duty_contacts(session: Session, agency: Agency, now: datetime) -> list[Contact]:
    """Whom a dispatch alerts: (name, phone, None) to text, or (name, phone, why not) to record as skipped."""
    with session.no_autoflush:  # the rows written so far need not be flushed to answer this
        on_duty = duty_now(session, agency, now)
        stopped = stopped_numbers(session)
    contacts: list[Contact] = []
    for name, phone in on_duty.contacts:
        if phone not in stopped and phones.is_mobile(phone):
            contacts.append((name, phone, None))
        else:
            # Replied STOP, or a landline that cannot take an SMS (the ladder's voice call still reaches it).
            contacts.append((name, phone, "replied STOP: no SMS" if phone in stopped else "landline: no SMS"))
    return contacts


def alert_on_dispatch(session: Session, case: Case, *, actor: Actor, now: datetime, start_ladder: bool = True) -> None:
    """The phones on duty now (the agency's duty roster, else its duty phones) get an SMS, each row naming
    whom it alerted (its consoles an alert, from the feed); an urgent case starts its ladder (unless the
    caller started it already, as intake does before the case's INSERT)."""
    agency = case.agency
    if agency is None:
        return
    text = dispatch_text(case)
    for name, phone, skipped in _duty_contacts(session, agency, now):
        if skipped is None:
            _notify(
                session,
                case,
                kind=NotificationKind.DISPATCH_SMS,
                recipient=phone,
                body=text,
                now=now,
                recipient_name=name,
            )
        else:
            record_event(
                session,
                case,
                EventType.ALERT_SKIPPED,
                actor=actor,
                occurred_at=now,
                phone=phone,
                name=name,
                reason=skipped,
            )
    if start_ladder:
        start_ladder_of(session, case, now=now)


def dispatch_rows(
    session: Session, case: Case, *, actor: Actor, now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """alert_on_dispatch as rows for a case being recorded (its ladder started before its INSERT):
    (the alert_skipped events, the outbox SMS), for append_events and queue_notifications."""
    agency = case.agency
    if agency is None:
        return [], []
    text = dispatch_text(case)
    events: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    for name, phone, skipped in _duty_contacts(session, agency, now):
        if skipped is None:
            outbox.append(
                notification_row(
                    case.id,
                    kind=NotificationKind.DISPATCH_SMS,
                    recipient=phone,
                    body=text,
                    now=now,
                    recipient_name=name,
                )
            )
        else:
            events.append(
                event_row(
                    case.id,
                    agency.id,
                    EventType.ALERT_SKIPPED,
                    actor=actor,
                    occurred_at=now,
                    phone=phone,
                    name=name,
                    reason=skipped,
                )
            )
    return events, outbox


def start_ladder_of(session: Session, case: Case, *, now: datetime) -> None:
    """An urgent case's ladder starts on the current version for its category and agency, which the
    case records and keeps; its first call is due after that version's first delay."""
    if case.category.urgent and case.agency is not None:
        ladder = current_ladder(session, category=case.category.code, agency=case.agency.code)
        set_ladder(session, case, step=0, next_alert_at=now + ladder.policy.delay_before(1), ladder=ladder)


def set_ladder(
    session: Session, case: Case, *, step: int, next_alert_at: datetime | None, ladder: StoredLadder | None = None
) -> None:
    """The ladder's state is the system's bookkeeping: written without touching the case's version."""
    values: dict[str, Any] = {"alert_step": step, "next_alert_at": next_alert_at}
    if ladder is not None and ladder.version is not None:
        values.update(alert_ladder=ladder.key, alert_ladder_version=ladder.version)
    if not inspect(case).has_identity:
        for name, value in values.items():  # a case being recorded (not stored yet): in its INSERT
            setattr(case, name, value)
        return
    session.flush()
    session.execute(
        update(Case.__table__)  # type: ignore[arg-type]
        .where(Case.__table__.c.id == case.id)
        .values(values)
    )
    for name, value in values.items():
        set_committed_value(case, name, value)


def stop_ladder(session: Session, case: Case, why: str = "acknowledged before it was sent") -> int:
    """The case was acknowledged (or left the agency): no more calls. Returns the calls cancelled."""
    if case.next_alert_at is not None:
        set_ladder(session, case, step=case.alert_step, next_alert_at=None)
    result = session.execute(
        update(Notification)
        .where(
            Notification.case_id == case.id,
            Notification.kind.in_(LADDER_KINDS),
            Notification.status.in_([NotificationStatus.PENDING, NotificationStatus.FAILED]),
        )
        .values(status=NotificationStatus.CANCELLED, last_error=why)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def stopped_numbers(session: Session) -> frozenset[str]:
    """Every number that replied STOP, from this process's cache (app/reference/freshness.py): a STOP that
    arrived in another process in the last second is caught by the sender, which checks again before sending."""

    def load() -> frozenset[str]:
        with session.no_autoflush:  # the rows written so far need not be flushed to answer this
            return frozenset(session.scalars(select(SmsOptOut.phone)))

    return cached(session, "sms_opt_outs", load)


def opted_out(session: Session, phone: str) -> bool:
    return phone in stopped_numbers(session)


def text_citizen(session: Session, case: Case, *, kind: NotificationKind, body: str, now: datetime) -> bool:
    """An SMS to the reporter, if they asked for replies on a mobile and have not opted out."""
    row = citizen_text_row(session, case, kind=kind, body=body, now=now)
    if row is not None:
        session.add(Notification(**row))
    return row is not None


def citizen_text_row(
    session: Session, case: Case, *, kind: NotificationKind, body: str, now: datetime
) -> dict[str, Any] | None:
    """text_citizen's outbox row (notification_row), or None if the reporter is not to be texted."""
    phone = case.reporter_phone
    if not (case.wants_sms_reply and phone and phones.is_mobile(phone)) or opted_out(session, phone):
        return None
    return notification_row(case.id, kind=kind, recipient=phone, body=body, now=now)


def citizen_receipt(case: Case) -> str:
    return f"【高雄市1999】您的案件已受理，編號 {case.case_no}，可憑此編號查詢處理情形。回覆STOP不再接收簡訊。"


def citizen_outcome(case: Case) -> str:
    outcome = (case.report_text or "").strip()
    return f"【高雄市1999】案件 {case.case_no} 處理情形：{outcome[:120]}"


def unacknowledged_cases(session: Session, agency_id: int) -> list[Case]:
    return list(
        session.scalars(
            select(Case).where(Case.agency_id == agency_id, Case.status == CaseStatus.ASSIGNED).order_by(Case.id)
        )
    )

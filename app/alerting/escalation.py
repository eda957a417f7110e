"""The ladder's sweep: for urgent dispatches nobody has acknowledged, take the next step when it is due.

Like the SLA sweep it reads only the cases whose `next_alert_at` has passed (an index
range), records each step as an event with a once-only key, and writes the calls to the
outbox (the supervisors' consoles are alerted by the live feed, from the step's event).
After an outage it takes one step now and spaces the next from now, rather than placing
every missed call at once.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy.orm import Session

from app.alerting.alerts import ladder_of, set_ladder, spoken_text
from app.audit import record_once
from app.db import utcnow, write_transaction
from app.due import lock_due
from app.models import Case, Notification
from app.reference.rosters import duty_now
from app.vocabulary import CaseStatus, EventType, NotificationChannel, NotificationKind
from dispatch.ladder import Rung, rung

BATCH_SIZE = 200
SUPERVISOR_NAME = "督導"  # the name a supervisor's number is recorded under (the agency keeps no names for them)


def climb(session: Session, *, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> Counter[str]:
    """Take every ladder step that is due, a batch per transaction; returns the steps taken by rung."""
    now = now or utcnow()
    taken: Counter[str] = Counter()
    while True:
        with write_transaction(session):
            checked = _climb_batch(session, now, batch_size, taken)
        if checked < batch_size:
            return taken


def _climb_batch(session: Session, now: datetime, batch_size: int, taken: Counter[str]) -> int:
    due_ids, cases = lock_due(session, Case.next_alert_at, now=now, limit=batch_size)
    for case in cases:
        if case.status is not CaseStatus.ASSIGNED or case.agency is None:
            # Acknowledged (or moved on) by a path that did not stop the ladder: stop it now.
            set_ladder(session, case, step=case.alert_step, next_alert_at=None)
            continue
        step = case.alert_step + 1
        # The version the case started with (recorded now if it started before versions existed).
        ladder = ladder_of(session, case)
        current = rung(step)
        # The duty rung calls whoever is on duty at this moment (the roster, else the duty phones).
        on_duty = duty_now(session, case.agency, now)
        contacts = (
            on_duty.contacts
            if current is Rung.CALL_DUTY
            else [(SUPERVISOR_NAME, phone) for phone in case.agency.supervisor_phones]
        )
        if not contacts:
            # An agency with no supervisor on file: call those on duty again rather than no one.
            contacts = on_duty.contacts
        recipients = [phone for _name, phone in contacts]
        event_id = record_once(
            session,
            case.id,
            EventType.ALERT_ESCALATED,
            key=f"{case.sla_round}:ladder:{step}",
            occurred_at=now,
            recorded_at=now,
            payload={
                "actor": "dispatch",
                "role": "system",
                "step": step,
                "rung": current.value,
                "agency": case.agency.code,
                "calls": list(recipients),
                "called": [{"name": name, "phone": phone} for name, phone in contacts],
                "from_roster": current is Rung.CALL_DUTY and on_duty.from_roster,
                "no_one_to_call": not recipients,
            },
            agency_id=case.agency.id,
        )
        if event_id is not None:
            _write_step(session, case, current, contacts, event_id, now)
            taken[current.value] += 1
        set_ladder(session, case, step=step, next_alert_at=now + ladder.policy.delay_before(step + 1), ladder=ladder)
    return len(due_ids)


def _write_step(
    session: Session, case: Case, current: Rung, contacts: list[tuple[str, str]], event_id: int, now: datetime
) -> None:
    kind = NotificationKind.DUTY_CALL if current is Rung.CALL_DUTY else NotificationKind.SUPERVISOR_CALL
    text = spoken_text(case)
    for name, phone in contacts:
        session.add(
            Notification(
                case_id=case.id,
                event_id=event_id,
                kind=kind,
                channel=NotificationChannel.VOICE,
                recipient=phone,
                recipient_name=name,
                body=text,
                next_attempt_at=now,
            )
        )

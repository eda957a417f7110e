"""Socket alerts from the outbox: a new dispatch to its agency's consoles, escalations to supervisors.

They are claimed and recorded like SMS (dispatch/outbox.py), so every alert is pushed at least
once, by whichever process claims it: a web process (its live feed's loop) or, with REDIS_URL,
the worker through a write-only Socket.IO emitter. Consoles de-duplicate by `alert_id`. An
alert found more than ALERT_TTL after it was written is not pushed: the consoles' own replay
of events already shows the case, and a stale siren would only mislead.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerting.outbox import CLAIM_TIMEOUT, Claimed, claim, record
from app.db import utcnow, write_transaction
from app.models import Notification
from app.vocabulary import NotificationStatus
from dispatch.channels.base import Accepted, SendFailed

log = logging.getLogger(__name__)

ALERT_TTL = timedelta(minutes=15)
ROOM_PREFIX = "room:"

Push = Callable[[str, dict[str, Any]], None]  # (room, message)


def room_of(recipient: str) -> str:
    """`room:agency:PWD-MAINT` in the outbox is the Socket.IO room `agency:PWD-MAINT`."""
    return recipient.removeprefix(ROOM_PREFIX)


def alert_message(item: Claimed) -> dict[str, Any]:
    try:
        body = json.loads(item.body)
    except ValueError:
        body = {"text": item.body}
    fields = body if isinstance(body, dict) else {"text": body}
    return {**fields, "alert_id": item.id, "kind": item.kind}


def any_due(session: Session, now: datetime) -> bool:
    """A cheap read first, so a process with nothing to push takes no write lock (SQLite has one)."""
    due = session.scalar(
        select(Notification.id)
        .where(
            Notification.channel == "socket",
            Notification.status.in_([NotificationStatus.PENDING, NotificationStatus.FAILED]),
            Notification.next_attempt_at <= now,
        )
        .limit(1)
    )
    session.rollback()
    return due is not None


def push_due(
    session: Session,
    push: Push,
    *,
    now: datetime | None = None,
    limit: int = 200,
    claim_timeout: timedelta = CLAIM_TIMEOUT,
) -> Counter[str]:
    """One pass: claim due socket rows, push each to its room, record it. Never raises for one row."""
    moment = now or utcnow()
    claimed = claim(session, now=moment, limit=limit, claim_timeout=claim_timeout, channels=("socket",))
    results: Counter[str] = Counter()
    for item in claimed:
        outcome: Accepted | SendFailed
        if moment - item.created_at > ALERT_TTL:
            results[_expire(session, item)] += 1
            continue
        try:
            push(room_of(item.recipient), alert_message(item))
            outcome = Accepted(provider_id=f"socket-{item.id}", status="delivered")
        except Exception as exc:  # the message queue is down: try again with backoff, like an SMS
            log.warning("socket alert %s not pushed: %s", item.id, exc)
            outcome = SendFailed(f"push failed: {exc}", permanent=False)
        results[record(session, item, outcome, now=now or utcnow())] += 1
    return results


def _expire(session: Session, item: Claimed) -> str:
    with write_transaction(session):
        row = session.get(Notification, item.id, with_for_update=True)
        if row is not None and row.status is NotificationStatus.SENDING:
            row.status = NotificationStatus.CANCELLED
            row.last_error = "too old to push: consoles replay the case's events instead"
    return "expired"

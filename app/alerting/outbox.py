"""The outbox sender: claim due SMS and voice rows, send them, record what happened. Never send twice.

A row goes pending → sending (claimed, in its own short transaction) → sent, or failed (tried
again later, with exponential backoff and jitter), or dead (a permanent refusal, or out of
attempts). The provider is called outside any transaction, and its SID is stored the moment
it answers. The one window in which a message could go out twice: the sender dies after the
provider accepted and before that commit (milliseconds). Such a row stays `sending`; after
CLAIM_TIMEOUT another sender first asks the provider whether it has a message to that number
with that text, and adopts its SID instead of sending again. The same check follows a send
whose answer timed out (the request may have been accepted). Calls cannot be matched by
content, so a call in either window may ring twice: the lesser harm for an urgent alert.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.alerting.alerts import SYSTEM
from app.audit import record_event
from app.db import utcnow, write_transaction
from app.models import Agency, Case, Notification, SmsOptOut
from app.reference.rosters import roster_phones
from app.vocabulary import (
    LADDER_KINDS,
    CaseStatus,
    EventType,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
)
from dispatch.channels.base import Accepted, Channel, SendFailed
from dispatch.voice import alert_twiml

log = logging.getLogger(__name__)

SENT_CHANNELS = ("sms", "voice")
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=15)
BACKOFF_CAP = timedelta(minutes=15)
CLAIM_TIMEOUT = timedelta(minutes=2)
MAYBE_SENT = "maybe sent: "  # prefix of last_error when the provider may have accepted it


@dataclass(frozen=True)
class Claimed:
    id: int
    channel: str
    kind: str
    recipient: str
    body: str
    attempts: int
    claimed_at: datetime
    created_at: datetime
    abandoned: bool  # it may already have gone out: ask the provider before sending again


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the `attempts`-th failure: doubling from 15 s up to 15 min, ±25 % jitter."""
    delay: timedelta = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    jitter: float = (rng or random).uniform(0.75, 1.25)
    return delay * jitter


def claim(
    session: Session,
    *,
    now: datetime,
    limit: int,
    claim_timeout: timedelta = CLAIM_TIMEOUT,
) -> list[Claimed]:
    """Take up to `limit` due rows for this sender; others skip them (SKIP LOCKED on PostgreSQL)."""
    abandoned_before = now - claim_timeout
    with write_transaction(session):
        rows = session.scalars(
            select(Notification)
            .where(
                Notification.channel.in_(SENT_CHANNELS),
                or_(
                    Notification.status.in_([NotificationStatus.PENDING, NotificationStatus.FAILED])
                    & (Notification.next_attempt_at <= now),
                    (Notification.status == NotificationStatus.SENDING) & (Notification.claimed_at < abandoned_before),
                ),
            )
            .order_by(Notification.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        known = _Known.load(session, rows)
        claimed = []
        for row in rows:
            unneeded = _no_longer_needed(session, row, known)
            if unneeded:
                row.status, row.last_error = NotificationStatus.CANCELLED, unneeded
                continue
            # A sender that died mid-send, or a send whose answer was lost: ask the provider first.
            abandoned = row.status is NotificationStatus.SENDING or (row.last_error or "").startswith(MAYBE_SENT)
            row.status, row.claimed_at, row.attempts = NotificationStatus.SENDING, now, row.attempts + 1
            claimed.append(
                Claimed(
                    row.id, row.channel, row.kind, row.recipient, row.body, row.attempts, now, row.created_at, abandoned
                )
            )
    return claimed


@dataclass
class _Known:
    """What deciding a batch's rows needs, read in one query each rather than a few per row: the batch's
    cases, the numbers among its recipients that said STOP, and each agency's roster phones (as they come up)."""

    cases: dict[int, Case]
    stopped: set[str]
    rosters: dict[int, set[str]]

    @classmethod
    def load(cls, session: Session, rows: Sequence[Notification]) -> _Known:
        case_ids = {row.case_id for row in rows if row.case_id is not None}
        # Each with its agency (a joined load).
        cases = (
            {case.id: case for case in session.scalars(select(Case).where(Case.id.in_(case_ids)))} if case_ids else {}
        )
        texted = {row.recipient for row in rows if row.channel == NotificationChannel.SMS}
        stopped = set(session.scalars(select(SmsOptOut.phone).where(SmsOptOut.phone.in_(texted)))) if texted else set()
        return cls(cases, stopped, {})

    def agency_phone(self, session: Session, agency: Agency, phone: str) -> bool:
        """The agency's duty or supervisor phone, or one its duty roster names."""
        if phone in (*agency.duty_phones, *agency.supervisor_phones):
            return True
        if agency.id not in self.rosters:
            self.rosters[agency.id] = roster_phones(session, agency.id)
        return phone in self.rosters[agency.id]


def _no_longer_needed(session: Session, row: Notification, known: _Known) -> str | None:
    """Why a due row must not go out after all: its case was acknowledged, or the number said STOP."""
    case = known.cases.get(row.case_id) if row.case_id is not None else None
    if case is not None and row.kind in LADDER_KINDS and case.status is not CaseStatus.ASSIGNED:
        return "the case was acknowledged (or moved on) before this call went out"
    if case is not None and row.kind in (*LADDER_KINDS, NotificationKind.DISPATCH_SMS):
        agency = case.agency
        if agency is None or not known.agency_phone(session, agency, row.recipient):
            return "the case was moved to another agency before this went out"
    if row.channel == NotificationChannel.SMS and row.recipient in known.stopped:
        return "the number replied STOP"
    return None


def restamp(session: Session, item: Claimed, now: datetime) -> Claimed | None:
    """Renew this sender's claim just before sending, so a long batch is never taken over mid-way;
    None if another sender took the row meanwhile (it is that sender's now)."""
    with write_transaction(session):
        result = session.execute(
            update(Notification)
            .where(
                Notification.id == item.id,
                Notification.status == NotificationStatus.SENDING,
                Notification.claimed_at == item.claimed_at,
            )
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )
    if not getattr(result, "rowcount", 0):
        return None
    return replace(item, claimed_at=now)


def deliver(channel: Channel, item: Claimed, *, public_base_url: str | None) -> Accepted | SendFailed:
    """Hand one message to the provider; never raises."""
    callback = f"{public_base_url}/telephony/status" if public_base_url else None
    try:
        if item.abandoned:
            found = _already_sent(channel, item)
            if found is not None:
                return found
        if item.channel == NotificationChannel.SMS:
            return channel.send_sms(to=item.recipient, body=item.body, status_callback=callback)
        gather = f"{public_base_url}/telephony/voice/{item.id}/keypress" if public_base_url else None
        return channel.place_call(to=item.recipient, twiml=alert_twiml(item.body, gather), status_callback=callback)
    except SendFailed as failure:
        return failure
    except Exception as exc:  # a bug or an unexpected library error must not kill the sender
        log.exception("sending notification %s failed unexpectedly", item.id)
        return SendFailed(f"unexpected error: {exc}", permanent=False)


def _already_sent(channel: Channel, item: Claimed) -> Accepted | None:
    lookup = getattr(channel, "find_sent", None)
    if lookup is None:
        return None
    found: Accepted | None = lookup(kind=item.channel, to=item.recipient, body=item.body, since=item.created_at)
    return found


def record(session: Session, item: Claimed, outcome: Accepted | SendFailed, *, now: datetime) -> str:
    """Store the outcome in one transaction; a dead alert of an urgent case tells the supervisors."""
    with write_transaction(session):
        row = session.get(Notification, item.id, with_for_update=True)
        if row is None or row.status is not NotificationStatus.SENDING or row.claimed_at != item.claimed_at:
            return "superseded"  # cancelled by an acknowledgement, or reclaimed after a timeout
        if isinstance(outcome, Accepted):
            taken = session.scalar(
                select(Notification.id).where(
                    Notification.provider_id == outcome.provider_id, Notification.id != row.id
                )
            )
            if taken is not None:
                # The provider's message belongs to another row (the same text sent before): not ours after all.
                row.status, row.next_attempt_at = NotificationStatus.FAILED, now
                row.last_error = f"found {outcome.provider_id}, but it is notification {taken}'s"
                return "failed"
            row.status, row.provider_id, row.provider_status = (
                NotificationStatus.SENT,
                outcome.provider_id,
                outcome.status,
            )
            row.sent_at, row.last_error = now, None
            if outcome.status == "delivered":  # the console backend, which has no callbacks to wait for
                row.status, row.delivered_at = NotificationStatus.DELIVERED, now
            return "sent"
        row.last_error = f"{MAYBE_SENT}{outcome.reason}" if outcome.maybe_sent else outcome.reason
        if outcome.permanent or row.attempts >= MAX_ATTEMPTS:
            row.status = NotificationStatus.DEAD
            report_dead(session, row, now)
            return "dead"
        row.status, row.next_attempt_at = NotificationStatus.FAILED, now + backoff(row.attempts)
        return "failed"


def report_dead(session: Session, row: Notification, now: datetime) -> None:
    """An `alert_dead` event for an urgent case; the live feed raises the supervisors' alert from it."""
    case = session.get(Case, row.case_id) if row.case_id else None
    if case is None or not case.category.urgent or row.kind.startswith("citizen"):
        return
    record_event(
        session,
        case,
        EventType.ALERT_DEAD,
        actor=SYSTEM,
        occurred_at=now,
        channel=row.channel,
        recipient=row.recipient,
        reason=row.last_error,
        advice="請以人工電話通知機關 / call the agency by hand",
    )


def send_due(
    session: Session,
    channel: Channel,
    *,
    public_base_url: str | None,
    now: datetime | None = None,
    limit: int = 50,
    claim_timeout: timedelta = CLAIM_TIMEOUT,
    threads: int = 1,
) -> Counter[str]:
    """One pass: claim, send, record. Returns how many were sent, failed, dead or superseded.

    With `threads` > 1 the provider is called for that many rows at once (a Twilio request takes 0.1-0.5 s:
    one at a time, a sender manages a few per second); claims and outcomes stay in this thread's session,
    one short transaction each, so a row is still claimed once and recorded once."""
    claimed = claim(session, now=now or utcnow(), limit=limit, claim_timeout=claim_timeout)
    results: Counter[str] = Counter()
    if not claimed:
        return results
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="outbox-send") if threads > 1 else None
    sending: dict[Future[Accepted | SendFailed], Claimed] = {}
    try:
        for item in claimed:
            moment = now or utcnow()
            # A claim older than a quarter of its timeout is renewed before the send, so no other sender can
            # take the row over while this one is still working through a slow batch.
            current = restamp(session, item, moment) if moment - item.claimed_at > claim_timeout / 4 else item
            if current is None:
                results["superseded"] += 1
            elif pool is None:
                outcome = deliver(channel, current, public_base_url=public_base_url)
                results[_record_safely(session, current, outcome, now)] += 1
            else:
                sending[pool.submit(deliver, channel, current, public_base_url=public_base_url)] = current
        # Outcomes are recorded here, in this thread's session, as the provider answers each one.
        for future in as_completed(sending):
            results[_record_safely(session, sending[future], future.result(), now)] += 1
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    return results


def _record_safely(session: Session, item: Claimed, outcome: Accepted | SendFailed, now: datetime | None) -> str:
    try:
        return record(session, item, outcome, now=now or utcnow())
    except Exception:
        # One row that cannot be recorded must not keep the others from being recorded.
        log.exception("could not record the outcome of notification %s", item.id)
        session.rollback()
        return "unrecorded"

"""The moving parts of the dispatch benchmark: dispatches opened at a steady rate through the real intake
service, sender threads running the real outbox sender (Twilio SDK channel) against the local fake Twilio,
the drain of the retries on a simulated clock, and the matching of what the fake received to the cases."""

from __future__ import annotations

import bisect
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.access import Actor
from app.alerting.outbox import SENT_CHANNELS, send_due
from app.cases.intake import NewCase, open_case
from app.db import current_session, db, utcnow
from app.models import Notification
from app.vocabulary import Channel, NotificationStatus
from bench.database import TZ, Reference
from bench.datagen import TextComposer
from bench.measure import NamedCpu, latency_ms, system_busy_seconds
from dispatch.channels.twilio import TwilioChannel
from tests.fake_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, FakeRequest

FROM_NUMBER = "+15005550006"
CHANNEL_TIMEOUT = 2.0
LIMIT = 50  # send_due's default: rows claimed per pass


def dispatch_plan(reference: Reference, count: int, seed: int) -> list[NewCase]:
    """`count` dispatch cases spread over the urgent dispatch categories and every district (all routed)."""
    rng = random.Random(seed)
    composer = TextComposer(rng)
    pairs = [
        (category, district)
        for category in reference.categories
        if category.case_type == "dispatch"
        for district in reference.districts
        if reference.agency_for(category, district) is not None
    ]
    plan = []
    for _ in range(count):
        category, district = rng.choice(pairs)
        plan.append(
            NewCase(
                channel=Channel.PHONE,
                category_code=category.code,
                district_code=district.code,
                address=composer.address(district.name_zh),
                description=composer.description(category.code, located=True),
                reporter_name=composer.name(),
            )
        )
    return plan


@dataclass(frozen=True)
class Opened:
    case_no: str
    case_id: int
    committed_wall: float  # time.time() right after open_case returned
    committed: float  # time.monotonic() at the same moment
    seconds: float  # how long open_case took
    lag: float  # how late it started against the steady schedule


def open_cases(app: Flask, actor: Actor, plan: Sequence[NewCase], rate: float | None) -> list[Opened]:
    """Open the planned cases one after another, `rate` per second on a fixed schedule (None: flat out)."""
    opened = []
    with app.app_context():
        start = time.monotonic()
        for index, new_case in enumerate(plan):
            due = start + index / rate if rate else time.monotonic()
            if (wait := due - time.monotonic()) > 0:
                time.sleep(wait)
            began = time.monotonic()
            case = open_case(session=current_session(), actor=actor, new_case=new_case, tz=TZ)
            wall, now = time.time(), time.monotonic()
            opened.append(Opened(case.case_no, case.id, wall, now, now - began, max(0.0, began - due)))
            db.session.remove()
    return opened


def twilio_channel(base_url: str) -> TwilioChannel:
    return TwilioChannel(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, FROM_NUMBER, api_base_url=base_url, timeout=CHANNEL_TIMEOUT)


class Sender(threading.Thread):
    """One sender as a worker runs it: its own channel (SDK client), app context and session per pass.

    `interval` set: a pass every `interval` seconds on a fixed schedule, missed ticks coalesced (APScheduler's
    interval job). Otherwise passes back to back, sleeping `idle` only after a pass that claimed nothing.
    """

    def __init__(self, app: Flask, base_url: str, stop: threading.Event, *, idle: float, interval: float | None):
        super().__init__(name="bench-sender", daemon=True)
        self.app, self.base_url, self.stop_event = app, base_url, stop
        self.idle, self.interval = idle, interval
        self.passes = 0
        self.results: Counter[str] = Counter()
        self.errors: list[str] = []

    def run(self) -> None:
        channel = twilio_channel(self.base_url)
        tick = time.monotonic()
        with self.app.app_context():
            while not self.stop_event.is_set():
                try:
                    results = send_due(current_session(), channel, public_base_url=None, limit=LIMIT)
                except Exception as exc:  # counted and reported; the worker's tick would log and go on
                    self.errors.append(repr(exc))
                    results = Counter()
                finally:
                    db.session.remove()
                self.passes += 1
                self.results.update(results)
                if self.interval:
                    now = time.monotonic()
                    while tick <= now:
                        tick += self.interval
                    self.stop_event.wait(tick - now)
                elif not results:
                    self.stop_event.wait(self.idle)


class SenderPool:
    """`count` sender threads, started at once; stop() ends them after their current pass."""

    def __init__(self, app: Flask, base_url: str, count: int, *, idle: float, interval: float | None) -> None:
        self.stop_event = threading.Event()
        self.threads = [Sender(app, base_url, self.stop_event, idle=idle, interval=interval) for _ in range(count)]
        for thread in self.threads:
            thread.start()

    def stop(self) -> dict[str, Any]:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=30)
        results: Counter[str] = sum((t.results for t in self.threads), Counter())
        errors = [error for t in self.threads for error in t.errors]
        return {"passes": [t.passes for t in self.threads], "results": dict(results), "errors": errors[:5]}


# --- The database's view -------------------------------------------------------------------------


def _sms_rows(first_case_id: int, last_case_id: int) -> Any:
    return (
        Notification.channel == "sms",
        Notification.case_id >= first_case_id,
        Notification.case_id <= last_case_id,
    )


def outbox_state(app: Flask, opened: Sequence[Opened]) -> dict[str, Any]:
    """The phase's SMS rows: how many, by status, by attempts (of the sent ones), and their SIDs."""
    where = _sms_rows(opened[0].case_id, opened[-1].case_id)
    with app.app_context():
        session = current_session()
        statuses = dict(
            session.execute(select(Notification.status, func.count()).where(*where).group_by(Notification.status)).all()
        )
        attempts = dict(
            session.execute(
                select(Notification.attempts, func.count())
                .where(*where, Notification.status == NotificationStatus.SENT)
                .group_by(Notification.attempts)
            ).all()
        )
        sids = set(session.scalars(select(Notification.provider_id).where(*where)).all()) - {None}
        db.session.remove()
    return {
        "rows": sum(statuses.values()),
        "statuses": {str(status.value): count for status, count in sorted(statuses.items())},
        "attempts_of_sent": {str(k): v for k, v in sorted(attempts.items())},
        "provider_ids": sids,
    }


def wait_until_settled(app: Flask, opened: Sequence[Opened], timeout: float) -> float:
    """Wait until none of the phase's SMS rows is pending or being sent (failed ones wait for their retry)."""
    where = _sms_rows(opened[0].case_id, opened[-1].case_id)
    started = time.monotonic()
    with app.app_context():
        while time.monotonic() - started < timeout:
            busy = current_session().scalar(
                select(func.count()).where(
                    *where, Notification.status.in_([NotificationStatus.PENDING, NotificationStatus.SENDING])
                )
            )
            db.session.remove()
            if not busy:
                break
            time.sleep(0.02)
    return time.monotonic() - started


@dataclass
class SimulatedDrain:
    """What the drain on a simulated clock did: when (monotonic) the clock jumped, and to what offset."""

    jumps: list[tuple[float, float]] = field(default_factory=lambda: [(0.0, 0.0)])
    passes: int = 0
    results: Counter[str] = field(default_factory=Counter)
    real_seconds: float = 0.0

    def offset_at(self, monotonic: float) -> float:
        """Seconds the clock had been moved ahead when something happened at `monotonic`."""
        index = bisect.bisect_right([at for at, _ in self.jumps], monotonic) - 1
        return self.jumps[max(0, index)][1]

    @property
    def skipped_seconds(self) -> float:
        return self.jumps[-1][1]


def drain_on_simulated_clock(app: Flask, base_url: str, *, timeout: float) -> SimulatedDrain:
    """One sender runs send_due(now=real now + offset) until nothing is left to send; whenever nothing is due,
    the offset jumps to the next retry's next_attempt_at instead of waiting for it (backoff from 15 s doubling)."""
    drain = SimulatedDrain()
    channel = twilio_channel(base_url)
    offset = timedelta(0)
    started = time.monotonic()
    with app.app_context():
        while time.monotonic() - started < timeout:
            session = current_session()
            next_due: datetime | None = session.scalar(
                select(func.min(Notification.next_attempt_at)).where(
                    Notification.channel.in_(SENT_CHANNELS),
                    Notification.status.in_([NotificationStatus.PENDING, NotificationStatus.FAILED]),
                )
            )
            db.session.remove()
            if next_due is None:
                break
            now = utcnow() + offset
            if next_due > now:
                offset += next_due - now
                drain.jumps.append((time.monotonic(), offset.total_seconds()))
            drain.results.update(send_due(current_session(), channel, public_base_url=None, now=utcnow() + offset))
            db.session.remove()
            drain.passes += 1
    drain.real_seconds = time.monotonic() - started
    return drain


# --- Matching the fake's requests to the cases ---------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    case_no: str
    attempt: int  # which request for this (number, text) the fake accepted: 1 = first try
    latency: float  # seconds from the case's commit to the accepted request's arrival (+ simulated skip)
    simulated: bool  # it arrived after the clock had been moved ahead


def case_no_of(body: str | None) -> str | None:
    """The case number in a dispatch SMS: the first word after 【1999派工】."""
    if not body or "】" not in body:
        return None
    words = body.split("】", 1)[1].split()
    return words[0] if words else None


def deliveries(
    requests: Sequence[FakeRequest], opened: Sequence[Opened], drain: SimulatedDrain | None = None
) -> tuple[list[Delivery], list[str]]:
    """Each accepted SMS with its attempt number and latency; and the accepted bodies that match no case."""
    committed = {item.case_no: item.committed for item in opened}
    tries: Counter[tuple[str, str | None]] = Counter()
    found, strays = [], []
    for request in sorted((r for r in requests if r.kind == "sms"), key=lambda r: r.received_monotonic):
        tries[(request.to, request.body)] += 1
        if not request.accepted:
            continue
        case_no = case_no_of(request.body)
        if case_no not in committed:
            strays.append(request.body or "")
            continue
        skipped = drain.offset_at(request.received_monotonic) if drain else 0.0
        latency = request.received_monotonic - committed[case_no] + skipped
        found.append(Delivery(case_no, tries[(request.to, request.body)], latency, skipped > 0))
    return found, strays


def by_attempt(found: Sequence[Delivery]) -> dict[str, dict[str, float]]:
    groups: dict[int, list[float]] = defaultdict(list)
    for item in found:
        groups[item.attempt].append(item.latency)
    return {str(attempt): latency_ms(values) for attempt, values in sorted(groups.items())}


class CpuWatch:
    """Cores used meanwhile by this process (all its threads), the postgres backends, and anything else."""

    def __init__(self, kind: str) -> None:
        self.postgres = NamedCpu("postgres") if kind == "postgresql" else None
        self.busy, self.own, self.started = system_busy_seconds(), time.process_time(), time.monotonic()

    def cores(self) -> dict[str, float]:
        wall = time.monotonic() - self.started
        own = time.process_time() - self.own
        server = self.postgres.used() if self.postgres else 0.0
        other = max(0.0, system_busy_seconds() - self.busy - own - server)
        return {
            "benchmark_process": round(own / wall, 2),
            "benchmark_process_cpu_s": round(own, 3),
            "postgres": round(server / wall, 2),
            "other_processes": round(other / wall, 2),
        }

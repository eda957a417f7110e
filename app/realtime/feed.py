"""The live feed: read committed events in id order and push each to the rooms that may see it.

One feed per web process tails `case_events` by id and emits to that process's own clients.
Reading from the database rather than emitting from the committing code means nothing is
pushed for a transaction that rolled back, nothing is lost when the committing process dies
between its commit and its emit, and events from the worker (SLA sweep, alert ladder) reach
every web process. A commit wakes the feed at once (app/realtime/wakeup.py); otherwise it
reads every `poll_seconds`. An event that calls for a console alert (a dispatch, an escalation, an
alert that could not be delivered) is followed at once by that `alert` (app/realtime/alerts.py).

Ids are handed out at INSERT, not at COMMIT: on PostgreSQL, id 11 may commit before id 10.
The feed holds back at such a gap for up to GAP_HOLD, so events are pushed in id order. A
gap still open after that (a rolled-back transaction, or a long one) is stepped over and
watched for GAP_WATCH; an event that fills it later is pushed then, marked `late`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Engine, func, select
from sqlalchemy.orm import Session

from app.cases import counters
from app.db import utcnow
from app.models import Case, CaseEvent
from app.present.audience import View
from app.present.event import event_message
from app.realtime.alerts import ALERTING_EVENTS, alerts_for
from app.realtime.audience import STAFF_ROOMS, deliveries
from app.realtime.messages import alert_facts, hidden_references, referenced_case_agencies
from app.reference.names import ReferenceNames
from app.vocabulary import Room

log = logging.getLogger(__name__)

BATCH = 500
GAP_HOLD = 1.0  # seconds: longer than any interactive transaction takes from INSERT to COMMIT
GAP_WATCH = 600.0  # seconds: how long a stepped-over id is watched for a late commit
MAX_GAP = 1_000  # a larger jump in ids is a sequence reset or a huge rollback: stepped over, not watched
MAX_WATCHED = 5_000  # ids watched at once; beyond this the oldest are given up
IN_CHUNK = 500  # ids per IN (...) query, well under every driver's parameter limit
COUNTERS_EVERY = 1.0  # seconds: the wall's counters are recounted at most this often


class Emit(Protocol):
    def __call__(self, event: str, data: Any, to: str | list[str]) -> None: ...


Loaded = tuple[CaseEvent, Case]


def load_events(session: Session, *conditions: ColumnElement[bool], limit: int | None = None) -> list[Loaded]:
    statement = (
        select(CaseEvent, Case).join(Case, Case.id == CaseEvent.case_id).where(*conditions).order_by(CaseEvent.id)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return [(event, case) for event, case in session.execute(statement).all()]


class EventFeed:
    """Pushes committed events in id order; `lock` is held while pushing, so a replay can slot in."""

    def __init__(
        self,
        *,
        engine: Callable[[], Engine],
        emit: Emit,
        tz: ZoneInfo,
        poll_seconds: float,
        gap_hold: float = GAP_HOLD,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine, self.emit, self.tz = engine, emit, tz
        self._poll_seconds, self._gap_hold, self.clock = poll_seconds, gap_hold, clock
        self.lock = threading.RLock()
        self.cursor = 0  # every id up to here was pushed, or is a watched gap
        self._missing_since: dict[int, float] = {}  # ids blocking the head of the stream
        self._watched: dict[int, float] = {}  # ids stepped over, with when
        self.late_log: deque[tuple[int, float]] = deque()  # (id, when) of events pushed late
        self._wake = threading.Event()
        self._started = False
        self._stopping = False
        self._start_lock = threading.Lock()
        self._counts: list[counters.AgencyCounts] | None = None
        self._counters_due = True
        self._counted_at = 0.0
        self.on_pushed: Callable[[], None] | None = None  # the counters' loop (recount.py), told there is news

    def session(self) -> Session:
        return Session(self._engine(), expire_on_commit=False)

    def start(self, spawn: Callable[[Callable[[], None]], Any]) -> bool:
        """Begin at the newest committed event (history is what replay is for); True the first time."""
        with self._start_lock:
            if self._started:
                return False
            with self.session() as session:
                self.cursor = session.scalar(select(func.max(CaseEvent.id))) or 0
                # Ids just below the newest may belong to transactions still in flight: watch them.
                recent = set(session.scalars(select(CaseEvent.id).where(CaseEvent.id > self.cursor - MAX_GAP)))
            now = self.clock()
            below = range(max(1, self.cursor - MAX_GAP + 1), self.cursor)
            self._watched = {gap: now for gap in below if gap not in recent}
            self._started = True
        spawn(self._run)
        return True

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """End the loop (tests, and an app being torn down); pushes in progress finish first."""
        self._stopping = True
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stopping

    def _run(self) -> None:
        while not self._stopping:
            timeout = self._poll_seconds
            self._wake.clear()  # before reading: a commit from now on wakes the wait below
            try:
                timeout = min(timeout, self.poll())
            except Exception:
                log.exception("live feed: reading events failed; trying again")
            self._wake.wait(timeout)

    def poll(self) -> float:
        """Push what was committed since the last call; returns how soon to look again."""
        now = self.clock()
        with self.lock:
            self._forget(now)
            watched = sorted(self._watched)
        with self.session() as session:
            rows = load_events(session, CaseEvent.id > self.cursor, limit=BATCH)
            late = [
                loaded
                for start in range(0, len(watched), IN_CHUNK)
                for loaded in load_events(session, CaseEvent.id.in_(watched[start : start + IN_CHUNK]))
            ]
            names = ReferenceNames.load(session)
            references = referenced_case_agencies(session, [event for event, _ in (*rows, *late)])
        with self.lock:
            for event, case in late:
                if self._watched.pop(event.id, None) is None:
                    continue  # a concurrent poll (an admission catching up) pushed it
                self._push(event, case, names, references, late=True)
                self.late_log.append((event.id, now))
            held = self._push_in_order(rows, names, references, now)
        if rows or late:
            self._counters_due = True
            if self.on_pushed is not None:
                self.on_pushed()
        if len(rows) == BATCH and held is None:
            return 0.0
        return self._poll_seconds if held is None else max(0.01, held)

    def _push_in_order(
        self, rows: list[Loaded], names: ReferenceNames, references: dict[str, int | None], now: float
    ) -> float | None:
        """Push rows while ids follow on; returns the seconds left to hold at a gap, or None."""
        for event, case in rows:
            if event.id <= self.cursor:
                continue  # pushed by a concurrent poll (an admission catching up)
            expected = self.cursor + 1
            if event.id > expected and event.id - expected <= MAX_GAP:
                missing = range(expected, event.id)
                first_seen = min(self._missing_since.setdefault(gap, now) for gap in missing)
                if now - first_seen < self._gap_hold:
                    return self._gap_hold - (now - first_seen)
                for gap in missing:
                    self._watched[gap] = now
                    self._missing_since.pop(gap, None)
            self._missing_since.pop(event.id, None)
            self._push(event, case, names, references)
            self.cursor = event.id
        return None

    def _push(
        self,
        event: CaseEvent,
        case: Case,
        names: ReferenceNames,
        references: dict[str, int | None],
        *,
        late: bool = False,
    ) -> None:
        for delivery in deliveries(names.agency_code(event.agency_id), names.agency_code(event.left_agency_id)):
            hidden = hidden_references(event, references) if delivery.view is View.AGENCY else frozenset()
            message = event_message(event, case, delivery.view, names, self.tz, late=late, hidden=hidden)
            self.emit("event", message, to=list(delivery.rooms))
        if event.event_type in ALERTING_EVENTS:
            self._raise_alerts(event, case, names)

    def _raise_alerts(self, event: CaseEvent, case: Case, names: ReferenceNames) -> None:
        """The event's alerts, right after it. Live pushes only: a replay (`send`) raises none."""
        try:
            facts, subject = alert_facts(event, case, names)
            raised = alerts_for(facts, subject, tz=self.tz, now=utcnow())
        except Exception:
            # A malformed payload must cost its alert, not stop the feed at this event for ever.
            log.exception("live feed: no alert for event %s", event.id)
            return
        for alert in raised:
            self.emit("alert", alert.message, to=alert.room)

    def _forget(self, now: float) -> None:
        watched = {gap: since for gap, since in self._watched.items() if now - since < GAP_WATCH}
        if len(watched) > MAX_WATCHED:
            watched = dict(sorted(watched.items())[-MAX_WATCHED:])
        self._watched = watched
        while self.late_log and now - self.late_log[0][1] > GAP_WATCH:
            self.late_log.popleft()

    def send(
        self,
        session: Session,
        sid: str,
        loaded: list[Loaded],
        view: View,
        names: ReferenceNames,
        *,
        late: bool,
    ) -> int:
        """Send events to one connection (a replay), shaped and scrubbed as the feed would push them."""
        references = referenced_case_agencies(session, [event for event, _ in loaded]) if view is View.AGENCY else {}
        for event, case in loaded:
            hidden = hidden_references(event, references) if view is View.AGENCY else frozenset()
            message = event_message(event, case, view, names, self.tz, late=late, hidden=hidden)
            self.emit("event", message, to=sid)
        return len(loaded)

    def watermark(self) -> int:
        """An id a client may resume from: every event up to it was pushed, or is watched and, when
        it commits late, offered again to replays."""
        with self.lock:
            return self.cursor

    def late_ids(self, *, since: float | None = None, upto: int | None = None) -> list[int]:
        with self.lock:
            return [
                event_id
                for event_id, when in self.late_log
                if (since is None or when >= since) and (upto is None or event_id <= upto)
            ]

    # Counters -----------------------------------------------------------------------------

    def current_counts(self) -> list[counters.AgencyCounts]:
        if self._counts is None:
            with self.session() as session:
                self._counts = counters.count_open_cases(session, ReferenceNames.load(session))
        return self._counts

    def push_counters_if_changed(self) -> None:
        """Recount after events (at most every COUNTERS_EVERY) and push the rows that changed.
        Called from the counters' own thread (recount.py): a recount must not hold back the next events."""
        now = self.clock()
        if not self._counters_due or now - self._counted_at < COUNTERS_EVERY:
            return
        self._counters_due, self._counted_at = False, now
        before = {row.agency: row for row in self._counts or []}
        with self.session() as session:
            counts = counters.count_open_cases(session, ReferenceNames.load(session))
        self._counts = counts
        after = {row.agency: row for row in counts}
        if before == after:
            return
        as_of = utcnow().astimezone(self.tz).isoformat()
        self.emit("counters", counters.counters_view(counts, as_of), to=[*STAFF_ROOMS, Room.MAYOR_OFFICE])
        for code in set(before) | set(after):
            if code is not None and before.get(code) != after.get(code):
                self.emit("counters", counters.counters_view(counts, as_of, only_agency=code), to=Room.agency(code))

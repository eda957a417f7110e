"""Admitting a connection: replay what it missed from the database, then let the live feed in.

The client sends the last event id it saw. Everything after it that this user may see is sent
from `case_events` in id order; then, under the feed's lock, the connection joins its rooms, so
the first live event it gets is the first one after the replay: no gap, no duplicate. A client
too far behind (more than `replay_max_events`, or a gap older than the retention window), or
with an id that is not a number or lies in the future, is told to reload its state instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from app.access import Actor
from app.cases.counters import counters_for
from app.db import utcnow
from app.models import CaseEvent
from app.present.audience import View
from app.realtime.feed import EventFeed, Loaded, load_events
from app.reference.names import ReferenceNames

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplayLimits:
    max_events: int
    retention: timedelta


@dataclass
class Plan:
    reload_reason: str | None = None
    events: list[Loaded] = field(default_factory=list)
    last_event_id: int | None = None  # the client's, when valid


def parse_last_event_id(raw: object) -> int | None:
    """A non-negative integer (or its decimal string); anything else is None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw >= 0 else None
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 19:
        return int(raw)
    return None


def visible_to(actor: Actor, view: View) -> list[ColumnElement[bool]]:
    """The events this user may see, as SQL: an agency its own (and those of cases it lost)."""
    if view is View.AGENCY:
        return [or_(CaseEvent.agency_id == actor.agency_id, CaseEvent.left_agency_id == actor.agency_id)]
    return []


def plan_replay(
    session: Session, actor: Actor, view: View | None, raw: object, *, upto: int, limits: ReplayLimits
) -> Plan:
    """What to send a reconnecting client, read up to the feed's cursor `upto` (outside its lock)."""
    if raw is None:
        return Plan()
    last = parse_last_event_id(raw)
    if last is None:
        return Plan(reload_reason="invalid_last_event_id")
    newest = session.scalar(select(func.max(CaseEvent.id))) or 0
    if last > newest:
        return Plan(reload_reason="last_event_id_in_future")
    if view is None:
        return Plan(last_event_id=last)
    events = load_events(
        session, CaseEvent.id > last, CaseEvent.id <= upto, *visible_to(actor, view), limit=limits.max_events + 1
    )
    if len(events) > limits.max_events:
        return Plan(reload_reason="too_far_behind")
    if events and events[0][0].recorded_at < utcnow() - limits.retention:
        return Plan(reload_reason="too_old")
    return Plan(events=events, last_event_id=last)


def admit(
    feed: EventFeed,
    *,
    sid: str,
    actor: Actor,
    view: View | None,
    rooms: frozenset[str],
    agency_code: str | None,
    raw_last_event_id: object,
    limits: ReplayLimits,
    enter_room: Callable[[str, str], None],
) -> Plan:
    """Replay, then join the rooms under the feed's lock, then say `ready` with the new watermark.

    The replay itself is sent before taking the lock (the client is in no room yet, so nothing
    else reaches it); only what the feed pushed meanwhile is read and sent under the lock, so
    the other consoles' pushes wait for one small read, not for a whole replay.
    """
    started = feed.clock()
    try:
        feed.poll()  # catch up first, so what is committed now is replayed rather than trickling in live
    except Exception:
        log.exception("live: catching up before a replay failed; the feed's next read will")
    upto = feed.watermark()
    with feed.session() as session:
        plan = plan_replay(session, actor, view, raw_last_event_id, upto=upto, limits=limits)
        names = ReferenceNames.load(session)
        replaying = plan.reload_reason is None and view is not None
        sent_late: set[int] = set()
        if replaying and view is not None:
            feed.send(session, sid, plan.events, view, names, late=False)
            # Pushed late (after later ids) while this client may have been away: it de-duplicates.
            if plan.last_event_id is not None:
                earlier = _load_ids(session, feed.late_ids(upto=plan.last_event_id), actor, view)
                sent_late = {event.id for event, _ in earlier}
                feed.send(session, sid, earlier, view, names, late=True)
        with feed.lock:
            cursor = feed.cursor
            if plan.reload_reason is not None:
                feed.emit("reload", {"reason": plan.reload_reason, "last_event_id": cursor}, to=sid)
            elif view is not None:
                caught_up = load_events(session, CaseEvent.id > upto, CaseEvent.id <= cursor, *visible_to(actor, view))
                late_now = [
                    loaded
                    for loaded in _load_ids(session, feed.late_ids(since=started), actor, view)
                    if loaded[0].id not in sent_late
                ]
                feed.send(session, sid, caught_up, view, names, late=False)
                feed.send(session, sid, late_now, view, names, late=True)
            for room in rooms:
                enter_room(sid, room)
            last = max(cursor, plan.last_event_id or 0) if plan.reload_reason is None else cursor
            replayed = len(plan.events) if plan.reload_reason is None else 0
            feed.emit("ready", {"last_event_id": last, "replayed": replayed, "rooms": sorted(rooms)}, to=sid)
    as_of = utcnow().astimezone(feed.tz).isoformat()
    feed.emit("counters", counters_for(actor, agency_code, feed.current_counts(), as_of), to=sid)
    return plan


def _load_ids(session: Session, ids: list[int], actor: Actor, view: View | None) -> list[Loaded]:
    if not ids or view is None:
        return []
    return load_events(session, CaseEvent.id.in_(ids), *visible_to(actor, view))

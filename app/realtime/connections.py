"""Socket.IO handlers: who may connect, which rooms they get, and the replay that admits them."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, request
from flask_socketio import SocketIO
from socketio.exceptions import ConnectionRefusedError

from app.access import Actor
from app.db import current_session, db
from app.errors import N_
from app.i18n import message
from app.realtime.audience import rooms_for, view_for
from app.realtime.balance import RECONNECT_WITHIN_MS, Balancer
from app.realtime.feed import EventFeed
from app.realtime.ratelimit import ConnectLimiter
from app.realtime.recount import CountersLoop
from app.realtime.replay import ReplayLimits, admit
from app.realtime.wakeup import Wakeup
from app.reference.names import ReferenceNames
from app.users.console_sessions import actor_for_console_session
from app.users.service import actor_for_token
from app.users.sessions import session_token

log = logging.getLogger(__name__)

EXTENSION = "hotline_realtime"
CONNECT_WAIT = 5.0  # seconds the admission waits for Socket.IO to finish accepting the connection
# A console session's credential, told apart from an API token (URL-safe base64, never a colon).
CONSOLE_PREFIX = "console:"


class Refused(ConnectionRefusedError):  # type: ignore[misc]  # python-socketio is untyped
    """The client's connect_error says why, in its language: {"message": ..., "data": {"code": ...}}."""

    def __init__(self, code: str) -> None:
        super().__init__(message(code), {"code": code})


REVALIDATE_EVERY = 60.0  # seconds: a deactivated user, revoked token or moved responder is cut off within this


@dataclass(frozen=True)
class Connection:
    rooms: frozenset[str]
    actor: Actor
    credential: str  # the API token, or CONSOLE_PREFIX + the console session's token
    address: str = ""  # the client's, as nginx saw it: where nginx's hash sends it when it reconnects


@dataclass
class Realtime:
    """One web process's live pushes: its feed, its connect limiter, and who is connected."""

    app: Flask
    socketio: SocketIO
    feed: EventFeed
    recount: CountersLoop
    wakeup: Wakeup
    limiter: ConnectLimiter
    limits: ReplayLimits
    connected: dict[str, Connection] = field(default_factory=dict)  # by sid
    cleanups: list[Callable[[], None]] = field(default_factory=list)  # run by stop()
    lock: threading.Lock = field(default_factory=threading.Lock)
    balancer: Balancer | None = None  # with Redis: consoles spread again after a restart (balance.py)

    def start_feed(self) -> None:
        """The feed starts with the first connection: until then there is no one to push to."""
        if self.feed.start(self.socketio.start_background_task):
            # What the process built until now lives as long as it does: keep it out of every
            # future collection, which would otherwise walk it again and again (pauses of
            # 175-295 ms measured under 500 consoles).
            gc.freeze()
            self.socketio.start_background_task(self.recount.run)
            self.socketio.start_background_task(self._revalidate_forever)
            self.wakeup.listen(self.feed.wake)
        self.start_balancing()

    def start_balancing(self) -> None:
        """Share this process's console count with its peers from now on (at start-up: gunicorn.conf.py)."""
        if self.balancer is not None:
            self.balancer.start(self.addresses, self.ask_to_reconnect)

    def addresses(self) -> dict[str, str]:
        with self.lock:
            return {sid: connection.address for sid, connection in self.connected.items()}

    def ask_to_reconnect(self, sids: list[str]) -> None:
        """The console reconnects at once with its last event id; nginx's hash may send it to a peer."""
        for sid in sids:
            self.socketio.server.emit(
                "rebalance", {"within_ms": RECONNECT_WITHIN_MS}, to=sid, namespace="/", ignore_queue=True
            )

    def _revalidate_forever(self) -> None:
        while not self.feed.stopping:
            time.sleep(REVALIDATE_EVERY)
            try:
                self.revalidate()
            except Exception:
                log.exception("live: re-checking connected users failed; trying again")

    def revalidate(self) -> list[str]:
        """Disconnect connections whose user was deactivated, token revoked, or role or agency changed."""
        with self.lock:
            connections = dict(self.connected)
        with self.app.app_context():
            try:
                stale = [sid for sid, connection in connections.items() if not _still_valid(connection)]
            finally:
                db.session.remove()
        for sid in stale:
            log.info("live: disconnecting %s, whose credential no longer holds", sid)
            self.socketio.server.disconnect(sid, namespace="/")
        return stale

    def stop(self) -> None:
        self.feed.stop()
        self.recount.stop()
        if self.balancer is not None:
            self.balancer.stopping = True
        for cleanup in self.cleanups:
            cleanup()


def current_realtime() -> Realtime:
    realtime: Realtime = current_app.extensions[EXTENSION]
    return realtime


def resume_point() -> int:
    """The last event id a page rendered now may resume its socket from. Not max(id): on
    PostgreSQL a lower id may still be in flight; the feed watches those and replays them."""
    live = current_realtime()
    live.start_feed()
    return live.feed.watermark()


def authenticate(auth: object) -> tuple[Actor, str] | None:
    """An API token in the `auth` payload, else the console's login session; else no one."""
    if isinstance(auth, dict) and "token" in auth:
        token = auth["token"]
        if not isinstance(token, str) or not token.strip() or len(token) > 200:
            return None
        actor = actor_for_token(current_session(), token.strip())
        return (actor, token.strip()) if actor is not None else None
    console = session_token()
    if console is not None:
        actor = actor_for_console_session(current_session(), console)
        return (actor, CONSOLE_PREFIX + console) if actor is not None else None
    return None


def _still_valid(connection: Connection) -> bool:
    credential = connection.credential
    if credential.startswith(CONSOLE_PREFIX):
        actor = actor_for_console_session(current_session(), credential.removeprefix(CONSOLE_PREFIX))
    else:
        actor = actor_for_token(current_session(), credential)
    return actor is not None and (actor.role, actor.agency_id) == (connection.actor.role, connection.actor.agency_id)


def register(socketio: SocketIO, app: Flask, realtime: Realtime) -> None:
    app.extensions[EXTENSION] = realtime

    def on_connect(auth: object = None) -> None:
        live = current_realtime()
        if not live.limiter.allow(request.remote_addr or "unknown"):
            raise Refused(N_("realtime.rate_limited"))
        try:
            authenticated = authenticate(auth)
            agency_code = _agency_code(authenticated[0]) if authenticated else None
        finally:
            db.session.remove()  # this thread serves the connection; it must not keep a connection
        if authenticated is None:
            raise Refused(N_("realtime.unauthenticated"))
        actor, credential = authenticated
        sid: str = request.sid  # type: ignore[attr-defined]
        rooms = rooms_for(actor, agency_code)
        address = request.remote_addr or ""
        with live.lock:
            live.connected[sid] = Connection(rooms=rooms, actor=actor, credential=credential, address=address)
        if live.balancer is not None:
            live.balancer.arrived(address)
        live.start_feed()
        last = auth.get("last_event_id") if isinstance(auth, dict) else None
        socketio.start_background_task(_admit_once_connected, app, live, sid, actor, rooms, agency_code, last)

    def on_disconnect(*_: Any) -> None:
        live = current_realtime()
        with live.lock:
            live.connected.pop(request.sid, None)  # type: ignore[attr-defined]

    def on_join(room: object = None) -> dict[str, Any]:
        """Rooms are joined by the server at connect; a client asking for another is refused."""
        live = current_realtime()
        with live.lock:
            connection = live.connected.get(request.sid)  # type: ignore[attr-defined]
        if isinstance(room, str) and connection is not None and room in connection.rooms:
            return {"ok": True, "room": room}
        refusal = {"code": "realtime.forbidden_room", "message": message("realtime.forbidden_room")}
        return {"ok": False, "error": refusal}

    socketio.on_event("connect", on_connect)
    socketio.on_event("disconnect", on_disconnect)
    socketio.on_event("join", on_join)


def _agency_code(actor: Actor | None) -> str | None:
    if actor is None or actor.agency_id is None:
        return None
    return ReferenceNames.load(current_session()).agency_code(actor.agency_id)


def _admit_once_connected(
    app: Flask,
    live: Realtime,
    sid: str,
    actor: Actor,
    rooms: frozenset[str],
    agency_code: str | None,
    last: object,
) -> None:
    """Socket.IO accepts the connection when the connect handler returns; replay only after that,
    so the client's first messages arrive on an open connection."""
    server = live.socketio.server
    deadline = time.monotonic() + CONNECT_WAIT
    while not server.manager.is_connected(sid, "/"):
        if time.monotonic() > deadline:
            return  # refused or gone before it was accepted
        time.sleep(0.002)
    with app.app_context():
        try:
            admit(
                live.feed,
                sid=sid,
                actor=actor,
                view=view_for(actor),
                rooms=rooms,
                agency_code=agency_code,
                raw_last_event_id=last,
                limits=live.limits,
                enter_room=lambda client, room: server.enter_room(client, room, namespace="/"),
            )
        except (ValueError, KeyError):
            log.info("live: %s left before it was admitted", sid)  # enter_room refuses a gone sid
        except Exception:
            # A console left connected but never admitted would wait in silence: make it reconnect,
            # which retries the replay from its watermark.
            log.exception("live: admitting %s failed; disconnecting it so it reconnects", sid)
            server.disconnect(sid, namespace="/")


def replay_limits(max_events: int, retention_seconds: float) -> ReplayLimits:
    return ReplayLimits(max_events=max_events, retention=timedelta(seconds=retention_seconds))

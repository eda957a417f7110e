"""Live pushes over Socket.IO (Flask-SocketIO, threading mode with simple-websocket).

`init_realtime` gives the app its Socket.IO server. Each web process runs one live feed
(app/realtime/feed.py) that pushes committed events to its own clients; with REDIS_URL set,
Redis is Socket.IO's message queue (so an emit from any process, the worker's included,
reaches every client) and carries the commit wake-ups between processes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import redis
from flask import Flask
from flask_socketio import SocketIO
from sqlalchemy import Engine, create_engine

from config.settings import Settings


def init_realtime(app: Flask, settings: Settings) -> SocketIO:
    from app.realtime.alerts import AlertPusher
    from app.realtime.connections import Realtime, register, replay_limits
    from app.realtime.feed import EventFeed
    from app.realtime.ratelimit import ConnectLimiter
    from app.realtime.wakeup import EXTENSION, Wakeup

    socketio = SocketIO(
        app,
        async_mode="threading",
        message_queue=settings.redis_url,
        channel=settings.socketio_channel,
        # Same-origin only (the default), said here because a console's session cookie rides along.
        cors_allowed_origins=None,
        logger=False,
        engineio_logger=False,
    )

    def emit_locally(event: str, data: Any, to: str | list[str]) -> None:
        # Every web process has its own feed: its pushes are for its own clients, not the queue.
        socketio.server.emit(event, data, to=to, namespace="/", ignore_queue=True)

    @cache
    def engine() -> Engine:
        shared = _shared_engine(app)
        if shared.dialect.name != "postgresql":
            return shared  # SQLite: the app's engine, with its pragmas
        # The feed's reads in autocommit on connections of their own, without a ping per checkout:
        # one round trip per read instead of four (ping, BEGIN, SELECT, ROLLBACK) in a busy process.
        return create_engine(shared.url, pool_size=3, max_overflow=5, pool_pre_ping=False, isolation_level="AUTOCOMMIT")

    feed = EventFeed(
        engine=engine,
        emit=emit_locally,
        tz=settings.timezone,
        poll_seconds=settings.feed_poll_seconds,
    )
    alerts = AlertPusher(
        app, alert_pusher(socketio, settings.redis_url), poll_seconds=1.0, then=feed.push_counters_if_changed
    )
    feed.on_pushed = alerts.wake
    wakeup = Wakeup(settings.redis_url, settings.socketio_channel)
    wakeup.on_local_commit(feed.wake)
    wakeup.on_local_commit(alerts.wake)
    app.extensions[EXTENSION] = wakeup
    realtime = Realtime(
        app=app,
        socketio=socketio,
        feed=feed,
        alerts=alerts,
        wakeup=wakeup,
        limiter=ConnectLimiter(burst=settings.socket_connect_burst, per_second=settings.socket_connects_per_second),
        limits=replay_limits(settings.replay_max_events, settings.replay_retention_seconds),
    )
    realtime.cleanups.append(lambda: engine().dispose() if engine() is not _shared_engine(app) else None)
    register(socketio, app, realtime)
    return socketio


def write_only_emitter(settings: Settings) -> SocketIO | None:
    """For the worker process: emits through Redis to every web process's clients; None without Redis."""
    if not settings.redis_url:
        return None
    return SocketIO(message_queue=settings.redis_url, channel=settings.socketio_channel)


def alert_pusher(socketio: SocketIO, redis_url: str | None) -> Callable[[str, dict[str, Any]], None]:
    """Emit an `alert` to a room. With Redis, check it answers first: python-socketio logs and drops
    a message it cannot publish, and an alert recorded as pushed is never retried."""
    client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2) if redis_url else None

    def push(room: str, message: dict[str, Any]) -> None:
        if client is not None:
            client.ping()  # raises: the outbox keeps the alert and tries again with backoff
        socketio.emit("alert", message, to=room)

    return push


def _shared_engine(app: Flask) -> Engine:
    from app.db import db

    with app.app_context():
        engine: Engine = db.engine
        return engine

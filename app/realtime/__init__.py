"""Live pushes over Socket.IO (Flask-SocketIO, threading mode with simple-websocket).

`init_realtime` gives the app its Socket.IO server. Each web process runs one live feed
(app/realtime/feed.py) that pushes committed events, and the alerts they raise, to its own
clients; with REDIS_URL set, Redis carries the commit wake-ups between processes (the worker's
included) and is Socket.IO's message queue.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Flask
from flask_socketio import SocketIO
from sqlalchemy import Engine, create_engine

from config.settings import Settings


def init_realtime(app: Flask, settings: Settings) -> SocketIO:
    from app.realtime.balance import Balancer
    from app.realtime.connections import Realtime, register, replay_limits
    from app.realtime.feed import EventFeed
    from app.realtime.ratelimit import ConnectLimiter
    from app.realtime.recount import CountersLoop
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
        # HOTLINE_FEED_POOL_SIZE + _OVERFLOW connections (README, "Database connections"): the feed, the recount,
        # admissions' replays.
        return create_engine(
            shared.url,
            pool_size=settings.feed_pool_size,
            max_overflow=settings.feed_pool_overflow,
            pool_pre_ping=False,
            isolation_level="AUTOCOMMIT",
            connect_args=settings.driver_options,
        )

    feed = EventFeed(
        engine=engine,
        emit=emit_locally,
        tz=settings.timezone,
        poll_seconds=settings.feed_poll_seconds,
    )
    recount = CountersLoop(feed.push_counters_if_changed, poll_seconds=1.0)
    feed.on_pushed = recount.wake
    wakeup = Wakeup(settings.redis_url, settings.socketio_channel)
    wakeup.on_local_commit(feed.wake)
    app.extensions[EXTENSION] = wakeup
    realtime = Realtime(
        app=app,
        socketio=socketio,
        feed=feed,
        recount=recount,
        wakeup=wakeup,
        limiter=ConnectLimiter(burst=settings.socket_connect_burst, per_second=settings.socket_connects_per_second),
        limits=replay_limits(settings.replay_max_events, settings.replay_retention_seconds),
        balancer=Balancer(settings.redis_url, settings.socketio_channel, settings.balance_seconds)
        if settings.redis_url
        else None,
    )
    realtime.cleanups.append(lambda: engine().dispose() if engine() is not _shared_engine(app) else None)
    register(socketio, app, realtime)
    return socketio


def _shared_engine(app: Flask) -> Engine:
    from app.db import db

    with app.app_context():
        engine: Engine = db.engine
        return engine

"""Wake the live feeds when a transaction that appended events commits.

This process's feed is woken at once. With REDIS_URL set, a message on a Redis channel wakes
the feeds of the other processes too (web processes, and from the worker's sweeps and ladder
steps); a background thread publishes it, so a slow or absent Redis never delays a commit.
Without Redis, other processes' feeds find the events at their next poll.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.audit import EVENTS_WRITTEN

log = logging.getLogger(__name__)

EXTENSION = "hotline_wakeup"


class Wakeup:
    def __init__(self, redis_url: str | None, channel: str) -> None:
        self.channel = f"{channel}:events-committed"
        self._redis_url = redis_url
        self._local: list[Callable[[], None]] = []
        self._pending = threading.Event()
        self._publisher: threading.Thread | None = None
        self._lock = threading.Lock()

    def on_local_commit(self, callback: Callable[[], None]) -> None:
        self._local.append(callback)

    def notify(self) -> None:
        for callback in self._local:
            callback()
        if self._redis_url:
            self._pending.set()
            self._ensure_publisher()

    def _ensure_publisher(self) -> None:
        with self._lock:
            if self._publisher is None:
                self._publisher = threading.Thread(target=self._publish_forever, name="wakeup-publisher", daemon=True)
                self._publisher.start()

    def _publish_forever(self) -> None:
        client = redis.Redis.from_url(self._redis_url or "", socket_timeout=2, socket_connect_timeout=2)
        while True:
            self._pending.wait()
            self._pending.clear()
            try:
                client.publish(self.channel, b"1")
            except redis.RedisError:
                log.warning("live feed: Redis unreachable; other processes will poll for new events")
                time.sleep(1.0)

    def listen(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever any process commits events (a thread of its own; reconnects)."""
        if not self._redis_url:
            return
        threading.Thread(target=self._listen_forever, args=(callback,), name="wakeup-listener", daemon=True).start()

    def _listen_forever(self, callback: Callable[[], None]) -> None:
        while True:
            try:
                client = redis.Redis.from_url(self._redis_url or "", socket_connect_timeout=2)
                pubsub = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
                pubsub.subscribe(self.channel)
                for message in pubsub.listen():
                    if message and message.get("type") == "message":
                        callback()
            except redis.RedisError:
                log.warning("live feed: lost Redis; polling until it is back")
                callback()  # events may have been committed while we were not listening
                time.sleep(1.0)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(EVENTS_WRITTEN, False) and has_app_context():
        wakeup: Wakeup | None = current_app.extensions.get(EXTENSION)
        if wakeup is not None:
            wakeup.notify()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session, *_: Any) -> None:
    session.info.pop(EVENTS_WRITTEN, None)

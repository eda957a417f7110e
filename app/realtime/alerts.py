"""The web process's pusher of socket alerts from the outbox, in a thread of its own.

Claiming and recording an alert are write transactions; done in the feed's thread they held
back every event behind them (SQLite has one writer at a time), so alerts have their own loop,
woken by the same commits as the feed.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from app.db import current_session, db, utcnow
from dispatch import socket_alerts

log = logging.getLogger(__name__)


class AlertPusher:
    def __init__(self, app: Flask, push: socket_alerts.Push, *, poll_seconds: float) -> None:
        self._app, self._push, self._poll_seconds = app, push, poll_seconds
        self._wake = threading.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    def run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                self.push_once()
            except Exception:
                log.exception("socket alerts: pushing failed; trying again")
            self._wake.wait(self._poll_seconds)

    def push_once(self) -> None:
        with self._app.app_context():
            try:
                if socket_alerts.any_due(current_session(), utcnow()):
                    socket_alerts.push_due(current_session(), self._push)
            finally:
                db.session.remove()

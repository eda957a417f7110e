"""The web process's second loop: socket alerts from the outbox, then the live counters.

Claiming and recording an alert are write transactions, and a recount is a GROUP BY over the
open cases; done in the feed's thread they held back every event behind them (the push
benchmark traced events waiting 140 ms behind a recount), so they have a loop of their own,
woken by the same commits as the feed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask

from app.alerting import socket_alerts
from app.db import current_session, db

log = logging.getLogger(__name__)


def alert_tick(app: Flask, push: socket_alerts.Push) -> None:
    """Push due socket alerts through the message queue; a failure is retried at the next tick."""
    with app.app_context():
        try:
            if socket_alerts.any_due(current_session(), datetime.now(UTC)):
                results = socket_alerts.push_due(current_session(), push)
                log.info("socket alerts: %s", dict(results))
        except Exception:
            log.exception("socket alerts failed; they will be pushed at the next tick")
        finally:
            db.session.remove()


class AlertPusher:
    def __init__(
        self, app: Flask, push: socket_alerts.Push, *, poll_seconds: float, then: Callable[[], None] | None = None
    ) -> None:
        self._app, self._push, self._poll_seconds, self._then = app, push, poll_seconds, then
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
            self.push_once()  # logs its own failures
            try:
                if self._then is not None:
                    self._then()
            except Exception:
                log.exception("live counters: recounting failed; trying again")
            self._wake.wait(self._poll_seconds)

    def push_once(self) -> None:
        alert_tick(self._app, self._push)  # the worker's job, run here by the web process

"""The worker's dispatch jobs: the outbox sender every second, the alert ladder every few seconds.

Neither needs a leader: rows and cases are taken with SKIP LOCKED, and each ladder step has a
once-only event key, so every worker process may run them.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from app.alerting.escalation import climb
from app.alerting.outbox import send_due
from app.db import current_session, db
from dispatch.channels.factory import channel_for

log = logging.getLogger(__name__)

SEND_INTERVAL = 1.0  # seconds: an alert leaves within about a second of its commit
LADDER_INTERVAL = 5.0  # seconds: ladder steps are minutes apart


MAX_PASSES = 20  # passes back to back while each finds a full batch, before yielding to the next tick


def send_tick(app: Flask) -> None:
    """Send what the outbox holds: full batches back to back (a typhoon's queue must not wait a tick per
    batch), then wait for the next tick. A failure is logged and retried at the next tick."""
    settings = app.config["HOTLINE_SETTINGS"]
    with app.app_context():
        try:
            for _ in range(MAX_PASSES):
                results = send_due(
                    current_session(),
                    channel_for(settings),
                    public_base_url=settings.public_base_url,
                    claim_timeout=timedelta(seconds=settings.outbox_claim_seconds),
                    limit=settings.outbox_batch,
                    threads=settings.outbox_threads,
                )
                if results:
                    log.info("outbox: %s", dict(results))
                if sum(results.values()) < settings.outbox_batch:
                    break
        except Exception:
            log.exception("outbox sender failed; it will run again at the next tick")
        finally:
            db.session.remove()


def ladder_tick(app: Flask) -> None:
    """Take the ladder steps that are due; a failure is logged and retried at the next tick."""
    with app.app_context():
        try:
            steps = climb(current_session())
            if steps:
                log.info("alert ladder: %s", dict(steps))
        except Exception:
            log.exception("alert ladder failed; it will run again at the next tick")
        finally:
            db.session.remove()


def add_dispatch_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    for job, seconds, name in ((send_tick, SEND_INTERVAL, "outbox-sender"), (ladder_tick, LADDER_INTERVAL, "ladder")):
        scheduler.add_job(
            job,
            "interval",
            args=(app,),
            seconds=seconds,
            id=name,
            next_run_time=datetime.now(UTC),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=5,
        )

"""The background worker: the SLA sweep (one leader) and the dispatch jobs (every process), together."""

from __future__ import annotations

import atexit
import logging

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from app.worker.jobs import add_dispatch_jobs
from app.worker.scheduler import SweepLeadership, build_scheduler

log = logging.getLogger(__name__)


def build_worker(app: Flask, *, interval: float, background: bool) -> tuple[BaseScheduler, SweepLeadership]:
    """All the worker's jobs on one scheduler; `background` for the in-process worker of `make run`."""
    notice_calendar_source(app)
    scheduler, leadership = build_scheduler(app, interval=interval, background=background)
    add_dispatch_jobs(scheduler, app)
    return scheduler, leadership


def notice_calendar_source(app: Flask) -> None:
    """At start-up: a new version of the holiday source moves open deadlines once (the first worker
    to start does it; the others find the fingerprint already recorded)."""
    from app.cases.official_calendar import notice_source_change
    from app.db import current_session

    with app.app_context():
        try:
            check = notice_source_change(session=current_session())
        except Exception:
            log.exception("could not compare the holiday source with the one deadlines were computed on")
            return
        if check.recomputed is not None:
            log.info(
                "holiday source %s -> %s (years changed: %s): deadlines moved on %d open case(s)",
                check.previous,
                check.version,
                check.changed_years or "none",
                check.recomputed.moved,
            )


def start_in_process_worker(app: Flask) -> BaseScheduler:
    """The single-machine setup: the worker in background threads of the web process."""
    # Under gunicorn, our log lines go where gunicorn's go.
    server_log = logging.getLogger("gunicorn.error")
    if server_log.handlers:
        for name in ("sla", "dispatch"):
            package_log = logging.getLogger(name)
            package_log.handlers, package_log.propagate = list(server_log.handlers), False
            package_log.setLevel(logging.INFO)
    scheduler, leadership = build_worker(
        app, interval=app.config["HOTLINE_SETTINGS"].sla_sweep_seconds, background=True
    )
    scheduler.start()

    def stop() -> None:
        scheduler.shutdown(wait=False)
        leadership.release()

    atexit.register(stop)
    return scheduler

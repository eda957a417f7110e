"""The background worker: the SLA sweep (one leader) and the dispatch jobs (every process), together."""

from __future__ import annotations

import atexit
import logging

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from app.worker.jobs import add_dispatch_jobs
from app.worker.scheduler import SweepLeadership, build_scheduler


def build_worker(app: Flask, *, interval: float, background: bool) -> tuple[BaseScheduler, SweepLeadership]:
    """All the worker's jobs on one scheduler; `background` for the in-process worker of `make run`."""
    scheduler, leadership = build_scheduler(app, interval=interval, background=background)
    add_dispatch_jobs(scheduler, app)
    return scheduler, leadership


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

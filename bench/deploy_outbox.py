"""The outbox at a typhoon burst: `python -m bench.deploy_outbox [--dispatches 500 --seconds 60]`.

Dispatches (each texting its agency's 2-3 duty phones) are opened through the real intake service at a steady
rate while one or two senders run as the worker runs them (a pass every second; full batches back to back),
through the real Twilio SDK to the fake Twilio (tests/fake_twilio.py) answering every request after
`--latency` seconds, as Twilio's API does. Measured: commit → SMS at the fake, p50/p99, and how many were still
queued when the last case was committed. Configurations: the sender as it was (50 per pass, one at a time),
and as it is now (HOTLINE_OUTBOX_BATCH 200, HOTLINE_OUTBOX_THREADS 8), with one and two senders.
The issue's burst is 500 dispatches in 10 minutes; the default here compresses it into 60 s (10x the rate).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import text

from app.access import Actor
from app.alerting.outbox import send_due
from app.db import current_session, db
from app.vocabulary import Role
from bench.database import app_context, create_agent, load_reference, make_database
from bench.dispatch_parts import deliveries, dispatch_plan, open_cases, twilio_channel
from bench.measure import latency_ms, machine
from bench.report import RESULTS_DIR
from tests.fake_twilio import FakeTwilio

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/hotline_bench_deploy")
CONFIGS = (("before: 50 per pass, 1 at a time", 50, 1, 1), ("now: 200 per pass, 8 at a time", 200, 8, 1),
           ("now, two workers", 200, 8, 2))  # fmt: skip


class WorkerSender(threading.Thread):
    """send_tick as app/worker/jobs.py runs it: every second, full batches back to back."""

    def __init__(self, app: Flask, base_url: str, stop: threading.Event, batch: int, threads: int) -> None:
        super().__init__(daemon=True)
        self.app, self.base_url, self.stop, self.batch, self.threads = app, base_url, stop, batch, threads
        self.results: Counter[str] = Counter()

    def run(self) -> None:
        channel = twilio_channel(self.base_url)
        tick = time.monotonic()
        with self.app.app_context():
            while not self.stop.is_set():
                for _ in range(20):
                    results = send_due(
                        current_session(), channel, public_base_url=None, limit=self.batch, threads=self.threads
                    )
                    db.session.remove()
                    self.results.update(results)
                    if sum(results.values()) < self.batch:
                        break
                tick += 1.0
                self.stop.wait(max(0.0, tick - time.monotonic()))


def run_config(label: str, batch: int, threads: int, senders: int, options: argparse.Namespace) -> dict[str, Any]:
    database = make_database("postgresql", Path(tempfile.mkdtemp()), PG_URL)
    user_id, _token = create_agent(database)
    actor = Actor(user_id=user_id, username="bench-agent", role=Role.AGENT, agency_id=None)
    reference = load_reference(database.engine())
    plan = dispatch_plan(reference, options.dispatches, seed=1999)
    with FakeTwilio() as fake, app_context(database) as app:
        fake.latency = options.latency
        stop = threading.Event()
        pool = [WorkerSender(app, fake.base_url, stop, batch, threads) for _ in range(senders)]
        for sender in pool:
            sender.start()
        opened = open_cases(app, actor, plan, options.dispatches / options.seconds)
        at_last_commit = len(fake.accepted("sms"))
        deadline = time.monotonic() + options.seconds * 5
        while time.monotonic() < deadline:
            with app.app_context():
                waiting = db.session.execute(
                    text(
                        "SELECT count(*) FROM notifications WHERE channel = 'sms' AND status IN "
                        "('pending', 'failed', 'sending')"
                    )
                ).scalar_one()
                db.session.remove()
            if waiting == 0:
                break
            time.sleep(0.5)
        drained_after = round(time.monotonic() - opened[-1].committed, 1)
        stop.set()
        for sender in pool:
            sender.join(timeout=60)
        found, strays = deliveries(fake.requests, opened)
    sms_total = len(found)
    return {
        "config": label,
        "batch": batch,
        "threads": threads,
        "senders": senders,
        "dispatches": len(opened),
        "sms": sms_total,
        "sms_per_dispatch": round(sms_total / max(1, len(opened)), 2),
        "commit_to_sms": latency_ms([item.latency for item in found]),
        "queued_at_last_commit": sms_total - at_last_commit,
        "drained_seconds_after_last_commit": drained_after,
        "sent_twice": sum(count - 1 for count in fake.duplicates().values()),
        "strays": len(strays),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dispatches", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--latency", type=float, default=0.25, help="seconds the fake Twilio takes per request")
    parser.add_argument("--only", choices=("before", "now"), default=None)
    parser.add_argument("--label", default="", help="written to deploy-outbox[-LABEL].json")
    options = parser.parse_args()
    load_before = os.getloadavg()
    runs = [
        run_config(label, batch, threads, senders, options)
        for label, batch, threads, senders in CONFIGS
        if options.only is None or label.startswith(options.only)
    ]
    result = {
        "benchmark": "deploy_outbox",
        "options": vars(options),
        "machine": machine(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "runs": runs,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    name = f"deploy-outbox-{options.label}.json" if options.label else "deploy-outbox.json"
    (RESULTS_DIR / name).write_text(json.dumps(result, ensure_ascii=False, indent=2), "utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

"""gunicorn config for the push benchmark's servers (`gunicorn --config bench/push_hooks.py ...`): clocks and probes.

In each worker, after the app is loaded:

- the commit clock: a SQLAlchemy listener writes `commit <case_no> <time.time()>` (and `event <id> <case id>
  <time>` for each event inserted) right after every COMMIT of a transaction that inserted cases: the start of
  each push's latency, taken where the commit happens. It runs before the app's own after_commit listener (the
  feed's wake-up), so the wake-up is part of what is measured;
- feed probes: `push <event id> <start> <end>` around app.realtime.feed.EventFeed._push (shaping the event's
  messages and handing them to Socket.IO for its rooms), `poll <start> <end>` around EventFeed.poll (a read
  and its pushes) and `counters <start> <end>` around EventFeed.push_counters_if_changed, to split the latency
  into commit → the poll that pushed the event → its push → the console;
- garbage collector pauses: `gc <generation> <start> <seconds>` for every collection of generation 1 or 2, and
  of generation 0 when it took 5 ms or more.

Lines are tab-separated, in $BENCH_PUSH_COMMIT_LOG. Self-contained: gunicorn reads this file by path; the imports
happen in the worker. A probe whose target the app no longer has is left out, not an error. For experiments,
$BENCH_PUSH_SWITCH_INTERVAL sets the worker's sys.setswitchinterval (the GIL's hand-over interval, 0.005 s by
default); the benchmark never sets it.
"""

from __future__ import annotations

import os
from typing import Any

KEY = "bench_push_case_nos"


def post_worker_init(worker: Any) -> None:
    import gc
    import importlib
    import threading
    import time

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from app.models import Case, CaseEvent

    if os.environ.get("BENCH_PUSH_SWITCH_INTERVAL"):  # experiments only: the GIL's switch interval, in seconds
        import sys

        sys.setswitchinterval(float(os.environ["BENCH_PUSH_SWITCH_INTERVAL"]))
    path = os.environ.get("BENCH_PUSH_COMMIT_LOG")
    if not path:
        return
    out = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - open for the worker's life
    lock = threading.RLock()

    def write(*fields: object) -> None:
        line = "\t".join(str(field) for field in fields) + "\n"
        with lock:
            out.write(line)

    @event.listens_for(Session, "after_flush")
    def collect(session: Session, _context: Any) -> None:
        new = [obj.case_no for obj in session.new if isinstance(obj, Case)]
        if new:
            session.info.setdefault(KEY, []).extend(new)
        events = [(obj.id, obj.case_id) for obj in session.new if isinstance(obj, CaseEvent)]
        if events:
            session.info.setdefault(KEY + "_events", []).extend(events)

    @event.listens_for(Session, "after_commit", insert=True)
    def stamp(session: Session) -> None:
        case_nos = session.info.pop(KEY, None)
        events = session.info.pop(KEY + "_events", None)
        if case_nos:
            now = f"{time.time():.6f}"
            for case_no in dict.fromkeys(case_nos):
                write("commit", case_no, now)
            for event_id, case_id in events or []:
                write("event", event_id, case_id, now)

    @event.listens_for(Session, "after_rollback")
    def forget(session: Session) -> None:
        session.info.pop(KEY, None)
        session.info.pop(KEY + "_events", None)

    try:
        feed_module: Any = importlib.import_module("app.realtime.feed")
    except ImportError:
        feed_module = None
    feed_class = getattr(feed_module, "EventFeed", None)
    push = getattr(feed_class, "_push", None)
    if push is not None:

        def probed_push(self: Any, event_row: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.time()
            try:
                return push(self, event_row, *args, **kwargs)
            finally:
                write("push", event_row.id, f"{started:.6f}", f"{time.time():.6f}")

        feed_class._push = probed_push  # type: ignore[union-attr]

    def probe(method_name: str, label: str) -> None:
        method = getattr(feed_class, method_name, None)
        if method is None:
            return

        def probed(self: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.time()
            try:
                return method(self, *args, **kwargs)
            finally:
                write(label, f"{started:.6f}", f"{time.time():.6f}")

        setattr(feed_class, method_name, probed)

    probe("poll", "poll")
    probe("push_counters_if_changed", "counters")

    began: dict[int, tuple[float, float]] = {}
    pauses: list[tuple[int, float, float]] = []  # a collection may run inside write(): no lock, no I/O here

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        generation = info.get("generation", 0)
        if phase == "start":
            began[generation] = (time.time(), time.perf_counter())
            return
        wall, counter = began.pop(generation, (0.0, 0.0))
        seconds = time.perf_counter() - counter
        if wall and (generation > 0 or seconds >= 0.005):
            pauses.append((generation, wall, seconds))

    def flush_pauses() -> None:
        while True:
            time.sleep(0.5)
            while pauses:
                generation, wall, seconds = pauses.pop(0)
                write("gc", generation, f"{wall:.6f}", f"{seconds:.6f}")

    gc.callbacks.append(on_gc)
    threading.Thread(target=flush_pauses, name="bench-gc-log", daemon=True).start()

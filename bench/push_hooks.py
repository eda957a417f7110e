"""gunicorn config for the push benchmark's servers (`gunicorn -c bench/push_hooks.py ...`): a commit clock.

In each worker, a SQLAlchemy listener writes `<case_no>\t<time.time()>` to $BENCH_PUSH_COMMIT_LOG right after
every COMMIT of a transaction that inserted cases: the start of each push's latency, taken where the commit
happens. It runs before the app's own after_commit listener (the feed's wake-up), so the wake-up is measured.
Self-contained: gunicorn reads this file by path, the imports happen in the worker.
"""

from __future__ import annotations

import os
from typing import Any

KEY = "bench_push_case_nos"


def post_worker_init(worker: Any) -> None:
    import threading
    import time

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from app.models import Case

    path = os.environ.get("BENCH_PUSH_COMMIT_LOG")
    if not path:
        return
    out = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - open for the worker's life
    lock = threading.Lock()

    @event.listens_for(Session, "after_flush")
    def collect(session: Session, _context: Any) -> None:
        new = [obj.case_no for obj in session.new if isinstance(obj, Case)]
        if new:
            session.info.setdefault(KEY, []).extend(new)

    @event.listens_for(Session, "after_commit", insert=True)
    def stamp(session: Session) -> None:
        case_nos = session.info.pop(KEY, None)
        if case_nos:
            now = time.time()
            with lock:
                out.write("".join(f"{case_no}\t{now:.6f}\n" for case_no in dict.fromkeys(case_nos)))

    @event.listens_for(Session, "after_rollback")
    def forget(session: Session) -> None:
        session.info.pop(KEY, None)

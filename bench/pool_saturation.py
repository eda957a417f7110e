"""100 simultaneous intakes against one gunicorn process (100 threads) and the worker, on a PostgreSQL that
allows the app 40 connections: how many answers are 5xx (target 0), and the peak of connections used.

`python -m bench.pool_saturation [--admin-url URL] [--limit 40] [--intakes 100]`. The limit is a role's
CONNECTION LIMIT (a role of the benchmark's own, so the shared server's max_connections is untouched);
to the app it looks the same as max_connections = 40. Results: bench/results/pool-saturation.md.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.database_admin import recreate_postgres_database
from app.db import db
from app.reference.seed import seed_reference_data
from app.users.service import create_user
from app.vocabulary import Role
from bench.report import RESULTS_DIR
from config.settings import PROJECT_ROOT, REFERENCE_DIR, Settings
from tests.factories import DISPATCH

ROLE = "hotline_pool_bench"
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/hotline_bench_pool"


def _prepare(admin_url: str, limit: int) -> tuple[str, str]:
    """A migrated, seeded database owned by a role limited to `limit` connections; its URL and an agent's token."""
    recreate_postgres_database(admin_url)
    admin = create_engine(make_url(admin_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": ROLE})
        verb = "ALTER" if exists else "CREATE"
        connection.execute(text(f"{verb} ROLE {ROLE} LOGIN CONNECTION LIMIT {int(limit)}"))
        connection.execute(text(f'ALTER DATABASE "{make_url(admin_url).database}" OWNER TO {ROLE}'))
    admin.dispose()
    settings = Settings.from_env({"DATABASE_URL": admin_url, "SECRET_KEY": "bench"})
    app = create_app(settings)
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        seed_reference_data(session=db.session, directory=REFERENCE_DIR)
        token = create_user(session=db.session, username="bench-agent", role=Role.AGENT).token
        for statement in (
            f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {ROLE}",
            f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {ROLE}",
        ):
            db.session.execute(text(statement))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return make_url(admin_url).set(username=ROLE).render_as_string(hide_password=False), token


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _peak_connections(admin_url: str, stop: threading.Event, peak: list[int]) -> None:
    engine = create_engine(make_url(admin_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        while not stop.is_set():
            used = connection.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE usename = :r"), {"r": ROLE})
            peak[0] = max(peak[0], int(used or 0))
            stop.wait(0.05)
    engine.dispose()


def run(admin_url: str, limit: int, intakes: int) -> dict[str, object]:
    app_url, token = _prepare(admin_url, limit)
    env = {**os.environ, "DATABASE_URL": app_url, "SECRET_KEY": "bench", "HOTLINE_INSTANCE_DIR": tempfile.mkdtemp()}
    port = _free_port()
    gunicorn = [str(Path(sys.executable).parent / "gunicorn"), "-w", "1", "--threads", "100"]
    web = subprocess.Popen([*gunicorn, "--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=PROJECT_ROOT, env=env)
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=PROJECT_ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    statuses: Counter[int] = Counter()
    peak, stop = [0], threading.Event()
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/api/v1/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        watcher = threading.Thread(target=_peak_connections, args=(admin_url, stop, peak))
        watcher.start()
        start = threading.Barrier(intakes)
        lock = threading.Lock()

        def intake(index: int) -> None:
            start.wait()  # all at once
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"pool-{index}"}
            body = {**DISPATCH, "description": f"路樹倒塌 {index}"}
            try:
                status = httpx.post(f"{base}/api/v1/cases", json=body, headers=headers, timeout=60).status_code
            except httpx.HTTPError:
                status = 0
            with lock:
                statuses[status] += 1

        threads = [threading.Thread(target=intake, args=(index,)) for index in range(intakes)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        watcher.join()
    finally:
        web.terminate()
        worker.terminate()
        web.wait(timeout=15)
        worker.wait(timeout=15)
    return {"statuses": dict(statuses), "server_errors": sum(n for s, n in statuses.items() if s >= 500 or s == 0),
            "peak_connections": peak[0], "limit": limit, "intakes": intakes}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pool_saturation", description=__doc__)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--intakes", type=int, default=100)
    options = parser.parse_args()
    result = run(options.admin_url, options.limit, options.intakes)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "pool-saturation.md").write_text(
        "# Pool saturation\n\n"
        f"{result['intakes']} simultaneous `POST /api/v1/cases` to one gunicorn process (100 threads) "
        "plus the worker,\n"
        f"on PostgreSQL with the app's role limited to {result['limit']} connections, default pool settings.\n\n"
        f"| answers | 5xx or no answer | peak connections |\n|---|---:|---:|\n"
        f"| {result['statuses']} | {result['server_errors']} | {result['peak_connections']} |\n",
        encoding="utf-8",
    )
    print(result)


if __name__ == "__main__":
    main()

"""The case-list benchmark's database: a year of `flask demo generate` data at ~N cases, seeded once and reused.

A database already holding at least 95 % of the asked-for cases is reused as it is (after `upgrade`,
so a new index migration reaches it), so reruns take seconds; otherwise it is recreated and filled.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.db import db, utcnow
from app.models import Agency, Case, User
from app.vocabulary import Role
from bench.database import TZ, BenchDatabase, app_context, make_database
from config.settings import PROJECT_ROOT, Settings

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/hotline_bench_lists"
DEFAULT_WORKDIR = PROJECT_ROOT / "instance" / "bench-case-lists"
CASES_PER_SCALE_YEAR = 329_008  # `flask demo generate`, a year at scale 1.0 (bench/results/demo_generate.md)
AGENT, AGENCY_USER = "bench-lists-agent", "bench-lists-agency"


def _database(kind: str, workdir: Path, pg_url: str) -> BenchDatabase:
    if kind == "postgresql":
        url = Settings.from_env({"DATABASE_URL": pg_url, "SECRET_KEY": "bench"}).database_url
    else:
        url = f"sqlite:///{workdir / 'case_lists.db'}"
    return BenchDatabase(kind=kind, url=url, workdir=workdir)


def case_count(database: BenchDatabase) -> int:
    """Cases in the database (0 if it does not exist or is not migrated)."""
    if database.kind == "sqlite" and not (database.workdir / "case_lists.db").exists():
        return 0
    engine = database.engine()
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(Case)) or 0)
    except OperationalError:
        return 0
    except Exception as exc:  # the table is missing: an empty database
        print(f"  (no cases readable: {type(exc).__name__})", flush=True)
        return 0
    finally:
        engine.dispose()


def seeded_database(kind: str, *, cases: int, workdir: Path, pg_url: str, seed: int = 16) -> BenchDatabase:
    """The bench database with about `cases` cases: reused if present, else generated (a year ending today)."""
    from flask_migrate import upgrade

    from app.demo.run import generate, stretch
    from bench.database import MIGRATIONS

    workdir.mkdir(parents=True, exist_ok=True)
    database = _database(kind, workdir, pg_url)
    present = case_count(database)
    if present >= cases * 0.95:
        print(f"  [{kind}] reusing the seeded database: {present:,} cases", flush=True)
        with app_context(database):
            upgrade(directory=str(MIGRATIONS))
        return database
    print(f"  [{kind}] seeding about {cases:,} cases (found {present:,})", flush=True)
    if kind == "sqlite":
        (workdir / "case_lists.db").unlink(missing_ok=True)
    database = make_database(kind, workdir, pg_url)  # SQLite: workdir/bench.db, renamed below
    if kind == "sqlite":
        (workdir / "bench.db").rename(workdir / "case_lists.db")
        database = _database(kind, workdir, pg_url)
    started = time.perf_counter()
    with app_context(database):
        moment = utcnow()
        first, last = stretch(start=None, months=None, days=365, now=moment, tz=TZ)

        def progress(day: date) -> None:
            if day.day == 1:
                print(f"  [{kind}] {day:%Y-%m} … {time.strftime('%H:%M:%S')}", flush=True)

        report = generate(session=db.session, first=first, last=last, scale=cases / CASES_PER_SCALE_YEAR, seed=seed,
                          now=moment, tz=TZ, progress=progress, parallel=True)  # fmt: skip
    print(f"  [{kind}] generated {report.rows} in {time.perf_counter() - started:.0f} s", flush=True)
    analyse(database)
    return database


def analyse(database: BenchDatabase) -> None:
    """Statistics as autovacuum (PostgreSQL) or `flask db`'s ANALYZE would leave them: after a bulk load there
    are none, and PostgreSQL then plans a case's 6 events as 20,000 (a parallel scan, 40 ms)."""
    engine = database.engine(isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if database.kind == "postgresql":
                connection.exec_driver_sql("VACUUM ANALYZE")
            else:
                connection.exec_driver_sql("PRAGMA analysis_limit=1000")
                connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()


def bench_tokens(database: BenchDatabase) -> tuple[str, str, str]:
    """Fresh tokens for the bench's agent and an agency responder (of the agency with most cases), and its code."""
    from app.users.service import add_token, create_user

    with app_context(database):
        session = db.session
        busiest = session.execute(
            select(Agency.id, Agency.code)
            .join(Case, Case.agency_id == Agency.id)
            .group_by(Agency.id, Agency.code)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        tokens = []
        for username, role, agency in ((AGENT, Role.AGENT, None), (AGENCY_USER, Role.AGENCY, busiest.code)):
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                tokens.append(create_user(session=session, username=username, role=role, agency_code=agency).token)
                continue
            if user.agency_id not in (None, busiest.id):
                user.agency_id = busiest.id
            _, token = add_token(session, user, label="bench")
            session.commit()
            tokens.append(token)
        return tokens[0], tokens[1], busiest.code

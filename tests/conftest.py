"""Fixtures: a real database (SQLite file, or PostgreSQL with HOTLINE_TEST_BACKEND=postgresql), migrated and seeded."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.frontend import CommandLineInterface
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app
from app.database_admin import recreate_postgres_database
from app.db import db
from app.i18n import TRANSLATIONS
from app.realtime.connections import EXTENSION as REALTIME
from app.reference.cache import reference_cache
from app.reference.files import load_entries
from config.settings import REFERENCE_DIR, Settings
from tests.factories import Factory
from tests.fake_twilio import FakeTwilio

POSTGRES = os.environ.get("HOTLINE_TEST_BACKEND") == "postgresql"
TZ = ZoneInfo("Asia/Taipei")
# Tables emptied between PostgreSQL tests; reference data stays as seeded.
DATA_TABLES = (
    "report_snapshots, admin_changes, roster_overrides, roster_shifts, kb_search_docs, kb_article_revisions, "
    "kb_articles, "
    "webhook_receipts, idempotency_records, console_sessions, "
    "case_photos, case_requests, calls, case_search_grams, case_events, notifications, sla_pauses, cases, "
    "calendar_overrides, "
    "official_calendar_years, calendar_source_marks, sms_opt_outs, api_tokens, "
    "users, "
    "case_number_counters"
)


def pytest_configure(config: pytest.Config) -> None:
    """Compile the translations when a .mo is missing or older than its .po: `make setup` does, a plain pytest not."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            CommandLineInterface().run(["pybabel", "-q", "compile", "-i", str(po), "-o", str(mo)])


def _settings(database_url: str, instance_dir: Path | None = None) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        secret_key="test-secret",
        timezone=TZ,
        instance_dir=instance_dir or Path(tempfile.gettempdir()),
    )


def _migrate_and_seed(database_url: str) -> None:
    """Bring the schema up to date and the reference data back to the YAML files."""
    from app.reference.seed import seed_reference_data

    app = create_app(_settings(database_url))
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        # Forced, so a test that edited reference rows leaves them as the files say; without change-log
        # entries, so every test starts with an empty log on both backends (the log is append-only).
        seed_reference_data(session=db.session, directory=REFERENCE_DIR, force=True, record_changes=False)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrated and seeded once per run: a SQLite file to copy, or the PostgreSQL test database."""
    instance_dir = tmp_path_factory.mktemp("instance")
    if POSTGRES:
        url = Settings.from_env({"DATABASE_URL": os.environ["TEST_DATABASE_URL"], "SECRET_KEY": "x"}).database_url
        recreate_postgres_database(url)
    else:
        url = f"sqlite:///{instance_dir / 'template.db'}"
    _migrate_and_seed(url)
    return url


@pytest.fixture
def database_url(template_database: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database as freshly seeded: a copy of the SQLite file, or the PostgreSQL one emptied of cases."""
    if not POSTGRES:
        target = tmp_path / "test.db"
        shutil.copyfile(Path(make_url(template_database).database or ""), target)
        yield f"sqlite:///{target}"
        return
    engine = create_engine(template_database)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {DATA_TABLES} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield template_database
    if request.node.get_closest_marker("mutates_reference"):
        # Policy and ladder versions only ever grow; start them again so the next test sees version 1.
        # Rules and categories made in the test (the rules pages) go too: the seed below brings back the files'.
        engine = create_engine(template_database)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {DATA_TABLES} RESTART IDENTITY CASCADE"))
            connection.execute(text("TRUNCATE sla_policy_versions, alert_ladder_versions RESTART IDENTITY"))
            connection.execute(text("TRUNCATE routing_rules RESTART IDENTITY"))
            codes = [entry["code"] for entry in load_entries(REFERENCE_DIR / "categories.yaml", "categories")]
            connection.execute(text("DELETE FROM categories WHERE NOT (code = ANY(:codes))"), {"codes": codes})
        engine.dispose()
        _migrate_and_seed(template_database)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    reference_cache.clear()  # each test has its own database
    app = create_app(_settings(database_url, tmp_path), TESTING=True)
    with app.app_context():
        yield app
        # Its live feed would go on reading the next test's database.
        app.extensions[REALTIME].stop()
        db.session.remove()
        db.engine.dispose()


class ManualClock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def reference_clock(app: Flask, monkeypatch: pytest.MonkeyPatch) -> ManualClock:
    """The reference snapshot's clock, the test's to move: only that cache's sense of time, not the process's."""
    clock = ManualClock()
    monkeypatch.setattr(reference_cache, "clock", clock)
    return clock


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served on a loopback port (real HTTP and WebSocket) by Werkzeug in a thread."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def factory(app: Flask, client: FlaskClient) -> Factory:
    return Factory(app=app, client=client, tz=TZ)


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A started FakeTwilio on a free 127.0.0.1 port, stopped after the test."""
    with FakeTwilio() as fake:
        yield fake

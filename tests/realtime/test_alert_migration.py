"""Migration 0006: socket rows still waiting in an existing database are cancelled, with the reason;
rows already settled, and every SMS or call, are left as they were."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.db import db, utcnow
from tests.conftest import _settings

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")


def test_waiting_socket_rows_are_cancelled_and_nothing_else_changes(tmp_path: Path) -> None:
    app = create_app(_settings(f"sqlite:///{tmp_path / 'old.db'}", tmp_path))  # SQLite on either backend
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0004_realtime")
        rows = [
            ("socket", "dispatch_alert", "pending"),
            ("socket", "supervisors_alert", "failed"),
            ("socket", "dead_alert", "sending"),
            ("socket", "dispatch_alert", "delivered"),
            ("sms", "dispatch_sms", "pending"),
            ("voice", "duty_call", "failed"),
        ]
        for channel, kind, status in rows:
            db.session.execute(
                text(
                    "INSERT INTO notifications (channel, kind, recipient, body, status, attempts, next_attempt_at,"
                    " created_at) VALUES (:channel, :kind, 'room:x', '{}', :status, 0, :now, :now)"
                ),
                {"channel": channel, "kind": kind, "status": status, "now": utcnow()},
            )
        db.session.commit()
        upgrade(directory=MIGRATIONS)
        after = db.session.execute(text("SELECT channel, kind, status, last_error FROM notifications ORDER BY id"))
        settled = [(channel, kind, status, "feed" in (error or "")) for channel, kind, status, error in after]
        db.session.remove()
        db.engine.dispose()
    assert settled == [
        ("socket", "dispatch_alert", "cancelled", True),
        ("socket", "supervisors_alert", "cancelled", True),
        ("socket", "dead_alert", "cancelled", True),
        ("socket", "dispatch_alert", "delivered", False),
        ("sms", "dispatch_sms", "pending", False),
        ("voice", "duty_call", "failed", False),
    ]

"""Settings from the environment, and the user/token commands."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from flask import Flask

from config.settings import Settings, SettingsError
from tests.factories import Factory


def test_defaults_to_sqlite_under_instance_and_keeps_a_generated_key(tmp_path: Path) -> None:
    first = Settings.from_env({"HOTLINE_INSTANCE_DIR": str(tmp_path)})
    again = Settings.from_env({"HOTLINE_INSTANCE_DIR": str(tmp_path)})
    assert first.database_url == f"sqlite:///{tmp_path / 'hotline1999.db'}"
    assert first.secret_key == again.secret_key and len(first.secret_key) > 40
    assert first.timezone.key == "Asia/Taipei" and first.redis_url is None and not first.twilio_configured


def test_production_requires_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env({"HOTLINE_ENV": "production", "HOTLINE_INSTANCE_DIR": str(tmp_path)})


def test_postgres_urls_use_psycopg3_and_bad_time_zones_are_refused(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATABASE_URL": "postgresql://u@h/db", "SECRET_KEY": "k"})
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    with pytest.raises(SettingsError, match="HOTLINE_TZ"):
        Settings.from_env({"HOTLINE_TZ": "Mars/Olympus", "SECRET_KEY": "k"})


def test_user_create_prints_a_token_that_works_once_and_until_revoked(app: Flask, factory: Factory) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "create", "lin", "--role", "agency", "--agency", "WRB"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert factory.client.get("/api/v1/cases", headers=headers).status_code == 200
    assert runner.invoke(args=["user", "revoke", "lin"]).exit_code == 0
    assert factory.client.get("/api/v1/cases", headers=headers).status_code == 401


def test_agency_users_need_an_agency(app: Flask) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["user", "create", "x", "--role", "agency"]).exit_code != 0
    assert runner.invoke(args=["user", "create", "y", "--role", "agent", "--agency", "WRB"]).exit_code != 0
    assert runner.invoke(args=["user", "create", "z", "--role", "agency", "--agency", "NOPE"]).exit_code != 0


def test_a_console_password_is_checked_for_length_and_can_be_set_later(app: Flask) -> None:
    from app.db import db
    from app.users.service import check_password

    runner = app.test_cli_runner()
    for weak in ("…", "", "       x"):
        refused = runner.invoke(args=["user", "create", "weak", "--role", "agent", "--password", weak])
        assert refused.exit_code != 0 and "8 characters" in refused.output
    assert runner.invoke(args=["user", "create", "admin", "--role", "admin"]).exit_code == 0
    assert check_password(db.session, "admin", "") is None
    result = runner.invoke(args=["user", "password", "admin"], input="correct horse\ncorrect horse\n")
    assert result.exit_code == 0, result.output
    assert check_password(db.session, "admin", "correct horse") is not None
    assert runner.invoke(args=["user", "password", "nobody", "--password", "long enough"]).exit_code != 0


def test_user_commands_are_in_the_change_log_and_keep_the_last_admin(app: Flask) -> None:
    from sqlalchemy import select

    from app.db import db
    from app.models import AdminChange, User

    runner = app.test_cli_runner()
    assert runner.invoke(args=["user", "create", "boss", "--role", "admin"]).exit_code == 0
    assert runner.invoke(args=["user", "password", "boss", "--password", "long enough"]).exit_code == 0
    assert runner.invoke(args=["user", "token", "boss", "--label", "script"]).exit_code == 0
    assert runner.invoke(args=["user", "revoke", "boss"]).exit_code == 0
    refused = runner.invoke(args=["user", "deactivate", "boss"])
    assert refused.exit_code != 0  # the only active administrator
    assert db.session.scalar(select(User.active).where(User.username == "boss")) is True
    changes = db.session.execute(
        select(AdminChange.actor_name, AdminChange.object_key, AdminChange.action).order_by(AdminChange.id)
    ).all()
    assert [tuple(change) for change in changes] == [
        ("command line", "boss", "created"),
        ("command line", "boss", "password_set"),
        ("command line", "boss", "token_issued"),
        ("command line", "boss", "tokens_revoked"),
    ]
    created = db.session.scalars(select(AdminChange.after).order_by(AdminChange.id)).first()
    assert created is not None and "password" not in created and created["role"] == "admin"


def test_the_front_door_leads_to_the_live_console(app: Flask) -> None:
    response = app.test_client().get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/live")


def test_working_hours_and_sweep_interval_are_configurable(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "HOTLINE_INSTANCE_DIR": str(tmp_path),
            "HOTLINE_WORKING_HOURS": "09:00-12:00,13:00-18:00",
            "HOTLINE_SLA_SWEEP_SECONDS": "10",
        }
    )
    assert [(begin.isoformat(), end.isoformat()) for begin, end in settings.working_hours] == [
        ("09:00:00", "12:00:00"),
        ("13:00:00", "18:00:00"),
    ]
    assert settings.sla_sweep_seconds == 10
    with pytest.raises(SettingsError, match="HOTLINE_WORKING_HOURS"):
        Settings.from_env({"HOTLINE_INSTANCE_DIR": str(tmp_path), "HOTLINE_WORKING_HOURS": "13:00-12:00"})
    with pytest.raises(SettingsError, match="HOTLINE_SLA_SWEEP_SECONDS"):
        Settings.from_env({"HOTLINE_INSTANCE_DIR": str(tmp_path), "HOTLINE_SLA_SWEEP_SECONDS": "-1"})


def test_calendar_close_moves_open_cases_and_asks_before_changing_a_past_day(app: Flask, factory: Factory) -> None:
    from datetime import timedelta

    from app.db import utcnow
    from sla.calendar import GovernmentCalendar

    factory.case(category_code="noise", description="噪音")
    runner = app.test_cli_runner()
    today = utcnow().astimezone(factory.tz).date()
    next_working = GovernmentCalendar().next_working_day(today)
    closed = runner.invoke(args=["calendar", "close", str(next_working), "--reason", "凱米颱風停班"])
    assert closed.exit_code == 0, closed.output
    assert "deadlines moved on 1 open case(s)" in closed.output
    shown = runner.invoke(args=["calendar", "show", str(next_working.year)])
    assert "凱米颱風停班" in shown.output and "working days" in shown.output

    past = str(today - timedelta(days=3))
    declined = runner.invoke(args=["calendar", "close", past, "--reason", "補登"], input="n\n")
    assert declined.exit_code != 0 and "has already passed" in declined.output
    accepted = runner.invoke(args=["calendar", "close", past, "--reason", "補登"], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    removed = runner.invoke(args=["calendar", "remove", str(next_working)])
    assert removed.exit_code == 0 and "removed" in removed.output
    assert runner.invoke(args=["calendar", "close", "2026-02-30", "--reason", "x"]).exit_code != 0


def test_sla_backfill_gives_deadlines_to_cases_from_before_the_engine(app: Flask, factory: Factory) -> None:
    from sqlalchemy import update

    from app.db import db
    from app.models import Case

    case = factory.case()
    # As the case would look if it had been recorded before migration 0002.
    db.session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(sla_round=0, sla_policy=None, sla_policy_version=None, report_due_at=None, next_sla_check_at=None)
    )
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sla", "backfill"])
    assert result.exit_code == 0 and "on 1 open case(s)" in result.output
    db.session.expire_all()
    refreshed = db.session.get(Case, case.id)
    assert refreshed is not None and refreshed.sla_policy == "fallen_tree" and refreshed.sla_round == 1
    assert refreshed.report_due_at is not None and refreshed.next_sla_check_at is not None
    assert "on 0 open case(s)" in runner.invoke(args=["sla", "backfill"]).output
    assert "case(s) checked" in runner.invoke(args=["sla", "sweep"]).output


def test_calendar_import_shows_the_differences_asks_before_moving_deadlines_and_status_lists_the_years(
    app: Flask, factory: Factory, tmp_path: Path
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    fixture = Path(__file__).parent / "fixtures" / "calendar_2026_official.csv"
    factory.case(
        now=datetime(2026, 12, 21, 9, 0, tzinfo=ZoneInfo("Asia/Taipei")), category_code="noise", description="噪音"
    )
    runner = app.test_cli_runner()
    text = fixture.read_text(encoding="utf-8-sig")
    corrected = tmp_path / "115年辦公日曆表.csv"
    corrected.write_bytes(text.replace("20261224,四,0,", "20261224,四,2,調整放假").encode("cp950"))

    declined = runner.invoke(args=["calendar", "import", str(corrected)], input="n\n")
    assert declined.exit_code != 0
    assert "2026-12-24  working  -> holiday 調整放假" in declined.output
    assert "Deadlines would move on 1 open case(s)" in declined.output
    assert "2026  estimated" in runner.invoke(args=["calendar", "status"]).output

    accepted = runner.invoke(args=["calendar", "import", str(corrected), "--source", "行政院人事行政總處"], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "2026 is now official (行政院人事行政總處); deadlines moved on 1 open case(s)." in accepted.output
    status = runner.invoke(args=["calendar", "status"]).output
    assert "2026  official 正式  (行政院人事行政總處)  121 days off" in status and "2027  estimated" in status

    shown = runner.invoke(args=["calendar", "show", "2026"]).output
    assert shown.startswith("2026  official")
    assert "2026-02-20  holiday" in shown and "2026-02-28" not in shown  # a Saturday holiday is no weekday off

    broken = tmp_path / "broken.csv"
    broken.write_text(text.replace("20260107,三", "20260107,五"), encoding="utf-8")
    refused = runner.invoke(args=["calendar", "import", str(broken)])
    assert refused.exit_code != 0 and "line 8: 星期與日期不符" in refused.output


def test_calendar_close_from_a_time(app: Flask, factory: Factory) -> None:
    from app.db import utcnow
    from sla.calendar import GovernmentCalendar

    factory.case(category_code="noise", description="噪音")
    runner = app.test_cli_runner()
    day = GovernmentCalendar().next_working_day(utcnow().astimezone(factory.tz).date())
    closed = runner.invoke(args=["calendar", "close", str(day), "--from", "13:30", "--reason", "下午停班"])
    assert closed.exit_code == 0, closed.output
    assert f"{day} 13:30-24:00 closed (下午停班); deadlines moved on 1 open case(s)." in closed.output
    assert (
        f"{day}  partly_closed   下午停班 13:30-24:00" in runner.invoke(args=["calendar", "show", str(day.year)]).output
    )
    overnight = runner.invoke(
        args=["calendar", "close", str(day), "--from", "18:00", "--until", "08:00", "--reason", "x"]
    )
    assert overnight.exit_code != 0 and "跨過午夜" in overnight.output
    assert runner.invoke(args=["calendar", "close", str(day), "--from", "1:3O", "--reason", "x"]).exit_code != 0
    assert "沒有 2101 年" in runner.invoke(args=["calendar", "show", "2101"]).output


def test_an_environment_that_sets_nothing_gets_the_defaults_the_settings_class_declares() -> None:
    """One default per setting: from_env falls back to the dataclass's own, so the two cannot drift apart."""
    settings = Settings.from_env({"SECRET_KEY": "x"})
    declared = {field.name: field.default for field in dataclasses.fields(Settings)}
    differing = {
        name: (default, getattr(settings, name))
        for name, default in declared.items()
        if default is not dataclasses.MISSING and getattr(settings, name) != default
    }
    assert differing == {}

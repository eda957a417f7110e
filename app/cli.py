"""Command-line tools: `flask seed`, `flask user create`, `flask user token`, `flask user first-admin`."""

from __future__ import annotations

import os
from datetime import datetime, time
from typing import Any

import click
from flask import Flask

from app.access import Actor
from app.admin_audit import COMMAND_LINE_ACTOR
from app.db import current_session
from app.errors import DomainError
from app.i18n import message
from app.reference.files import ReferenceFileError
from app.vocabulary import Role
from config.settings import REFERENCE_DIR

# What the command line does to the calendar is done by an administrator at the console.
CLI_ADMIN = Actor(user_id=None, username="cli", role=Role.ADMIN)


def _fail(error: DomainError) -> click.ClickException:
    details = "; ".join(
        f"{field}: {', '.join(message(code, **error.params) for code in codes)}"
        for field, codes in error.fields.items()
    )
    return click.ClickException(f"{message(error.code, **error.params)} {details}".strip())


def register(app: Flask) -> None:
    @app.cli.command("seed")
    @click.option("--directory", type=click.Path(exists=True, file_okay=False), default=str(REFERENCE_DIR))
    @click.option("--force", is_flag=True, help="Overwrite what differs in the database with the files (printed).")
    def seed(directory: str, force: bool) -> None:
        """Load districts, agencies, categories, routing rules, SLA policies and alert ladders (safe to run again).

        After the first seed the database is the truth: new entries in the files are added, and what
        differs from the database is printed and kept, unless --force overwrites it."""
        from pathlib import Path

        from app.reference.seed import seed_reference_data
        from app.settings_access import current_settings
        from sla.clock import working_day_length

        try:
            report = seed_reference_data(
                session=current_session(),
                directory=Path(directory),
                working_day=working_day_length(current_settings().working_hours),
                force=force,
            )
        except ReferenceFileError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Reference data loaded: {report.summary()}")
        for line in report.differences:
            click.echo(f"  {line}")
        if report.differences and not force:
            click.echo(
                "The database is the truth: the differences above were kept. `flask seed --force` overwrites them."
            )
        from app.cases.official_calendar import load_shipped_calendars

        try:
            imported = load_shipped_calendars(
                session=current_session(), directory=Path(directory) / "calendars", actor=CLI_ADMIN
            )
        except DomainError as exc:
            raise _fail(exc) from exc
        for result in imported:
            click.echo(f"Official calendar {result.year} imported ({result.source}); open cases moved: {result.moved}")

    @app.cli.group("user")
    def user() -> None:
        """Manage users and their API tokens."""

    @user.command("create")
    @click.argument("username")
    @click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
    @click.option("--agency", "agency_code", help="Agency code; required for --role agency.")
    @click.option("--name", "display_name", help="Name shown to colleagues.")
    @click.option("--password", help="Console password, at least 8 characters (optional; the API uses the token).")
    def create(
        username: str, role: str, agency_code: str | None, display_name: str | None, password: str | None
    ) -> None:
        """Create a user and print their API token (shown once)."""
        from app.users.service import create_user

        try:
            issued = create_user(
                session=current_session(),
                username=username,
                role=Role(role),
                agency_code=agency_code,
                display_name=display_name,
                password=password,
                changed_by=COMMAND_LINE_ACTOR,
            )
        except DomainError as exc:
            raise _fail(exc) from exc
        click.echo(f"Created {role} user {username}. API token (shown once, keep it safe):")
        click.echo(issued.token)

    @user.command("password")
    @click.argument("username")
    @click.password_option(help="The new console password (asked for twice when not given).")
    def password(username: str, password: str) -> None:
        """Set a user's console password (at least 8 characters)."""
        from app.users.service import set_password

        try:
            set_password(session=current_session(), username=username, password=password, changed_by=COMMAND_LINE_ACTOR)
        except DomainError as exc:
            raise _fail(exc) from exc
        click.echo(f"Password set for {username}: they can log in at /login.")

    @user.command("token")
    @click.argument("username")
    @click.option("--label", default="", help="What the token is for.")
    def token(username: str, label: str) -> None:
        """Issue another API token for an existing user."""
        from app.users.service import issue_token

        try:
            click.echo(
                issue_token(session=current_session(), username=username, label=label, changed_by=COMMAND_LINE_ACTOR)
            )
        except DomainError as exc:
            raise _fail(exc) from exc

    @user.command("revoke")
    @click.argument("username")
    def revoke(username: str) -> None:
        """Revoke every API token of a user."""
        from app.users.service import revoke_tokens

        count = revoke_tokens(session=current_session(), username=username, changed_by=COMMAND_LINE_ACTOR)
        click.echo(f"Revoked {count} token(s).")

    @user.command("deactivate")
    @click.argument("username")
    def deactivate(username: str) -> None:
        """Deactivate a user: no more logins; their console sessions and API tokens end at once."""
        from app.users.admin import set_active

        try:
            # As on the administration page: logged, and the last active administrator is refused.
            set_active(session=current_session(), actor=COMMAND_LINE_ACTOR, username=username, active=False)
        except DomainError as exc:
            raise _fail(exc) from exc
        click.echo(f"{username} is deactivated; their sessions and tokens are revoked.")

    @user.command("first-admin")
    def first_admin_command() -> None:
        """Development only (`make run`): on a database without an administrator, create `admin` with a random
        password and print it once; with one, print nothing. Production creates its users with `user create`."""
        from app.settings_access import current_settings
        from app.users.admin import first_admin

        if current_settings().env != "development":
            raise click.ClickException("first-admin is for development; use `flask user create NAME --role admin`")
        password = first_admin(session=current_session())
        if password is not None:
            click.echo("")
            click.echo("  First start: an administrator was created. Sign in at /login with")
            click.echo(f"    username: admin    password: {password}")
            click.echo("  (shown this once; change it under your name at the top of any page)")
            click.echo("")

    _register_calendar(app)
    _register_knowledge(app)
    _register_sla(app)
    _register_worker(app)
    from app.reports.command import report_group

    app.cli.add_command(report_group)

    from app.demo.cli import register as register_demo

    register_demo(app)


def _register_knowledge(app: Flask) -> None:
    @app.cli.group("knowledge")
    def knowledge() -> None:
        """The knowledge base (知識庫)."""

    @knowledge.command("load")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def load(path: str) -> None:
        """Add or update the articles of a YAML file, published (safe to run again)."""
        from pathlib import Path

        from app.knowledge.loader import load_articles

        try:
            report = load_articles(session=current_session(), path=Path(path))
        except ReferenceFileError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Knowledge base: {report.summary()}")


def _register_calendar(app: Flask) -> None:
    from datetime import date

    from app.cases import calendar

    @app.cli.group("calendar")
    def calendar_group() -> None:
        """The government calendar the SLA clocks run on: typhoon days (停班), official years, late changes."""

    def _change(
        day: date, *, working: bool | None, reason: str, yes: bool, start: time | None = None, end: time | None = None
    ) -> None:
        def run(allow_past: bool) -> calendar.OverrideResult:
            if working is None:
                return calendar.remove_override(
                    session=current_session(), actor=CLI_ADMIN, day=day, allow_past=allow_past
                )
            return calendar.set_override(
                session=current_session(),
                actor=CLI_ADMIN,
                day=day,
                working=working,
                reason=reason,
                start=start,
                end=end,
                allow_past=allow_past,
            )

        try:
            result = run(allow_past=yes)
        except DomainError as exc:
            if exc.code != "calendar.override_in_past":
                raise _fail(exc) from exc
            click.confirm(
                f"{day} 已經過去 / has already passed. Change it anyway? 已發生的逾期不會改寫 (breaches stay)",
                abort=True,
            )
            result = run(allow_past=True)
        what = "removed" if working is None else ("opened" if working else "closed")
        span = _span(result.start, result.end)
        click.echo(
            f"{day}{span} {what} ({result.reason}); deadlines moved on {result.recomputed} open case(s)"
            + (f", {result.overdue} of them now overdue." if result.overdue else ".")
        )

    date_type = click.DateTime(formats=["%Y-%m-%d"])
    yes_option = click.option("--yes", is_flag=True, help="Do not ask for confirmation for a past date.")
    from_option = click.option("--from", "start", help="Only from this time (HH:MM), e.g. 13:30 for 下午停班.")
    until_option = click.option("--until", "end", help="Only until this time (HH:MM), e.g. 12:00.")

    @calendar_group.command("close")
    @click.argument("day", type=date_type)
    @click.option("--reason", required=True, help='Why, e.g. "凱米颱風停班".')
    @from_option
    @until_option
    @yes_option
    def close(day: datetime, reason: str, start: str | None, end: str | None, yes: bool) -> None:
        """Declare DAY closed (停班), or only from/until a time: it stops counting as working time."""
        _change(day.date(), working=False, reason=reason, yes=yes, start=_clock(start), end=_clock(end))

    @calendar_group.command("open")
    @click.argument("day", type=date_type)
    @click.option("--reason", required=True, help="Why the day is worked after all.")
    @from_option
    @until_option
    @yes_option
    def open_day(day: datetime, reason: str, start: str | None, end: str | None, yes: bool) -> None:
        """Declare DAY a working day, or only from/until a time (e.g. a make-up day the rules do not know)."""
        _change(day.date(), working=True, reason=reason, yes=yes, start=_clock(start), end=_clock(end))

    @calendar_group.command("remove")
    @click.argument("day", type=date_type)
    @yes_option
    def remove(day: datetime, yes: bool) -> None:
        """Take back the override of DAY: the official calendar applies again."""
        _change(day.date(), working=None, reason="", yes=yes)

    @calendar_group.command("show")
    @click.argument("year", type=int)
    def show(year: int) -> None:
        """List the year's holidays on weekdays, make-up days and overrides, and whether it is official."""
        try:
            shown = calendar.calendar_year(current_session(), year)
        except DomainError as exc:
            raise _fail(exc) from exc
        click.echo(_state_line(year, shown.official is not None, shown.source))
        for day in shown.days:
            weekend_holiday = day.kind.value == "holiday" and day.day.weekday() >= 5
            if day.kind.value not in ("working", "weekend") and not weekend_holiday:
                click.echo(f"{day.day}  {day.kind.value:<15} {day.name or ''}{_span(day.start, day.end)}")
        click.echo(f"{sum(day.is_working for day in shown.days)} working days in {year}.")

    @calendar_group.command("status")
    def status() -> None:
        """List the years in use, each official (imported) or estimated, and the holiday source."""
        from app.cases.official_calendar import calendar_status
        from app.db import utcnow
        from app.settings_access import current_settings

        today = utcnow().astimezone(current_settings().timezone).date()
        found = calendar_status(current_session(), today=today)
        click.echo(
            f"Estimated years follow {found.source_version}; open deadlines follow {found.deadlines_follow or '-'}."
        )
        for state in found.years:
            click.echo(f"{_state_line(state.year, state.official, state.source)}  {state.days_off} days off")

    _register_calendar_import(calendar_group)


def _state_line(year: int, official: bool, source: str) -> str:
    if official:
        return f"{year}  official 正式  ({source})"
    return f"{year}  estimated 推估  (from {source}; import the official calendar when published)"


def _span(start: time | None, end: time | None) -> str:
    if start is None and end is None:
        return ""
    return f" {start.strftime('%H:%M') if start else '00:00'}-{end.strftime('%H:%M') if end else '24:00'}"


def _clock(text: str | None) -> time | None:
    if text is None or text == "24:00":
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: write a time as HH:MM, e.g. 13:30") from None


def _register_calendar_import(group: click.Group) -> None:
    from pathlib import Path

    from app.cases.official_calendar import import_official_calendar

    @group.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--year", type=int, help="The year the file is for (default: its first date's year).")
    @click.option("--source", help="Where the file comes from (default: its name).")
    @click.option("--yes", is_flag=True, help="Apply even if open cases' deadlines move, without asking.")
    def import_file(file: Path, year: int | None, source: str | None, yes: bool) -> None:
        """Import the government's office calendar (政府行政機關辦公日曆表 CSV, UTF-8 or Big5) as official."""
        data = file.read_bytes()

        def run(*, preview: bool = False, confirm: bool = False) -> Any:
            return import_official_calendar(
                session=current_session(),
                actor=CLI_ADMIN,
                data=data,
                source=source or file.name,
                year=year,
                preview=preview,
                confirm=confirm,
            )

        try:
            seen = run(preview=True)
            click.echo(f"{seen.year}: {len(seen.changes)} day(s) differ from the calendar now:")
            for change in seen.changes:
                before, after = change.before, change.after
                click.echo(
                    f"  {after.day}  {before.kind.value} {before.name or ''} -> {after.kind.value} {after.name or ''}"
                )
            click.echo(
                f"Deadlines would move on {seen.moved} open case(s)"
                + (f", {seen.overdue} into the past." if seen.overdue else ".")
            )
            if seen.moved and not yes:
                click.confirm(f"匯入並移動 {seen.moved} 件案件的期限 / Import and move them?", abort=True)
            done = run(confirm=True)
        except DomainError as exc:
            lines = [f"  {where}: {message(code)}" for where, codes in exc.fields.items() for code in codes]
            raise click.ClickException("\n".join([message(exc.code, **exc.params), *lines])) from exc
        click.echo(f"{done.year} is now official ({done.source}); deadlines moved on {done.moved} open case(s).")


def _register_sla(app: Flask) -> None:
    @app.cli.group("sla")
    def sla_group() -> None:
        """The SLA engine's maintenance commands."""

    @sla_group.command("backfill")
    def backfill() -> None:
        """Give deadlines to open cases recorded before the SLA engine was installed (safe to run again)."""
        from app.cases.deadlines import backfill as start_missing_rounds
        from app.db import utcnow

        count = start_missing_rounds(current_session(), now=utcnow())
        click.echo(f"Deadlines set on {count} open case(s).")

    @sla_group.command("sweep")
    def sweep_once() -> None:
        """Run one sweep now (the worker does this every 30 s)."""
        from app.cases.sweep import sweep

        click.echo(sweep(current_session()).summary())


def _register_worker(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--interval", type=float, help="Seconds between sweeps (default HOTLINE_SLA_SWEEP_SECONDS, 30).")
    def worker(interval: float | None) -> None:
        """Run the background worker: the SLA sweep (one leader across processes), the outbox and the ladder."""
        import logging

        from app.settings_access import current_settings
        from app.worker import build_worker

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        seconds = interval or current_settings().sla_sweep_seconds
        scheduler, leadership = build_worker(app, interval=seconds, background=False)
        click.echo(f"Worker started (pid {os.getpid()}): SLA sweep every {seconds:g} s, outbox every second.")
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            leadership.release()

"""Command-line tools: `flask seed`, `flask user create`, `flask user token`."""

from __future__ import annotations

import click
from flask import Flask

from app.db import current_session
from app.errors import DomainError
from app.i18n import message
from app.reference.files import ReferenceFileError
from app.vocabulary import Role
from config.settings import REFERENCE_DIR


def _fail(error: DomainError) -> click.ClickException:
    details = "; ".join(
        f"{field}: {', '.join(message(code, **error.params) for code in codes)}"
        for field, codes in error.fields.items()
    )
    return click.ClickException(f"{message(error.code, **error.params)} {details}".strip())


def register(app: Flask) -> None:
    @app.cli.command("seed")
    @click.option("--directory", type=click.Path(exists=True, file_okay=False), default=str(REFERENCE_DIR))
    def seed(directory: str) -> None:
        """Load districts, agencies, categories, routing rules and SLA policies (safe to run again)."""
        from pathlib import Path

        from app.reference.seed import seed_reference_data
        from app.settings_access import current_settings
        from sla.clock import working_day_length

        try:
            report = seed_reference_data(
                session=current_session(),
                directory=Path(directory),
                working_day=working_day_length(current_settings().working_hours),
            )
        except ReferenceFileError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Reference data loaded: {report.summary()}")

    @app.cli.group("user")
    def user() -> None:
        """Manage users and their API tokens."""

    @user.command("create")
    @click.argument("username")
    @click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
    @click.option("--agency", "agency_code", help="Agency code; required for --role agency.")
    @click.option("--name", "display_name", help="Name shown to colleagues.")
    @click.option("--password", help="Console password (optional; the API uses the token).")
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
            )
        except DomainError as exc:
            raise _fail(exc) from exc
        click.echo(f"Created {role} user {username}. API token (shown once, keep it safe):")
        click.echo(issued.token)

    @user.command("token")
    @click.argument("username")
    @click.option("--label", default="", help="What the token is for.")
    def token(username: str, label: str) -> None:
        """Issue another API token for an existing user."""
        from app.users.service import issue_token

        try:
            click.echo(issue_token(session=current_session(), username=username, label=label))
        except DomainError as exc:
            raise _fail(exc) from exc

    @user.command("revoke")
    @click.argument("username")
    def revoke(username: str) -> None:
        """Revoke every API token of a user."""
        from app.users.service import revoke_tokens

        click.echo(f"Revoked {revoke_tokens(session=current_session(), username=username)} token(s).")

"""`flask report monthly --month 2023-07 --format xlsx|csv|pdf --out FILE`, with a progress bar."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from app.access import Actor
from app.db import current_session, utcnow
from app.errors import DomainError
from app.i18n import message
from app.reports.exports import FORMATS, export
from app.reports.freeze import report_view
from app.reports.monthly import parse_month
from app.settings_access import current_settings
from app.vocabulary import Role

CLI_READER = Actor(user_id=None, username="cli", role=Role.ADMIN)
STEPS = 16  # figures, tables, one per table or PDF stage, written; the bar is filled at the end whatever the count


@click.group("report")
def report_group() -> None:
    """Reports for the mayor's office (月報)."""


@report_group.command("monthly")
@click.option("--month", required=True, help="The month in Asia/Taipei time, YYYY-MM (e.g. 2023-07).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The file to write.")
def monthly(month: str, fmt: str, out: Path) -> None:
    """Write a month's report (its frozen figures if it was frozen, with later corrections)."""
    _check_writable(out)
    settings = current_settings()
    with click.progressbar(length=STEPS, label=f"{month} {fmt}", file=sys.stderr) as bar:
        try:
            view = report_view(current_session(), CLI_READER, parse_month(month), tz=settings.timezone, now=utcnow())
        except DomainError as error:
            raise click.ClickException(message(error.code, **error.params)) from error
        bar.update(1)
        content = export(view.as_dict(settings.timezone), fmt, progress=lambda _step: bar.update(1))
        try:
            out.write_bytes(content)
        except OSError as exc:
            raise click.ClickException(f"{out}: {exc.strerror or exc}") from exc
        bar.update(STEPS)
    click.echo(f"{out} ({len(content):,} bytes)")


def _check_writable(out: Path) -> None:
    """Before the work: a path that cannot be written is refused at once, with what is wrong."""
    if out.is_dir():
        raise click.ClickException(f"{out} is a directory: give a file name")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise click.ClickException(f"{parent} does not exist")
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise click.ClickException(f"{out} cannot be written (permission denied)")

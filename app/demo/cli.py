"""`flask demo generate`: realistic data for a stretch of months (or the last days), with a progress bar."""

from __future__ import annotations

import random
from datetime import date

import click
from flask import Flask

from app.db import current_session, utcnow
from app.demo.check import check_cases
from app.demo.run import DataPresent, generate, stretch
from app.settings_access import current_settings

CHECK_SAMPLE = 2000


def _month(_context: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError as exc:
        raise click.BadParameter("give a month as YYYY-MM, e.g. 2022-01") from exc


def register(app: Flask) -> None:
    @app.cli.group("demo")
    def demo() -> None:
        """Realistic demo data: a year of the customer's volumes, or a small month for a newcomer."""

    @demo.command("generate")
    @click.option("--from", "start", callback=_month, help="First month, YYYY-MM (default: the last --days days).")
    @click.option("--months", type=click.IntRange(1, 36), default=1, show_default=True)
    @click.option("--days", type=click.IntRange(1, 400), default=30, show_default=True, help="Without --from.")
    @click.option(
        "--scale",
        type=click.FloatRange(0.001, 5.0),
        default=1.0,
        show_default=True,
        help="1.0 = the customer's volumes (~852,000 calls, ~316,000 cases a year).",
    )
    @click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same data.")
    @click.option("--if-empty", is_flag=True, help="Data already there is not an error: say so and stop.")
    @click.option(
        "--check",
        "sample",
        type=click.IntRange(0),
        default=CHECK_SAMPLE,
        show_default=True,
        help="Cases re-derived from their events afterwards.",
    )
    def generate_command(
        start: date | None, months: int, days: int, scale: float, seed: int, if_empty: bool, sample: int
    ) -> None:
        """Write calls and cases with their events, deadlines and search index, in bulk, day by day.

        Refuses a stretch in which cases were already received (it would double them), so running it twice
        adds nothing. Run it with the server and worker stopped: it takes ids after the highest in use.
        """
        tz, now, session = current_settings().timezone, utcnow(), current_session()
        first, last = stretch(start=start, months=months if start else None, days=days, now=now, tz=tz)
        if first > last:
            raise click.ClickException(f"{first} is after today: nothing to generate")
        with click.progressbar(length=(last - first).days + 1, label=f"{first} – {last}", show_pos=True) as bar:
            try:
                report = generate(
                    session=session,
                    first=first,
                    last=last,
                    scale=scale,
                    seed=seed,
                    now=now,
                    tz=tz,
                    progress=lambda _day: bar.update(1),
                    parallel=True,
                )
            except DataPresent as exc:
                if if_empty:
                    click.echo(f"Demo data not generated: {exc}.")
                    return
                raise click.ClickException(f"{exc}: generating again would double them. Use an empty stretch.") from exc
        rate = report.total_rows / report.seconds if report.seconds else 0
        click.echo(
            f"{report.total_rows:,} rows in {report.seconds:.1f} s ({rate:,.0f} rows/s); typhoons on "
            f"{', '.join(map(str, report.typhoons)) or 'no day'}"
        )
        for table, count in report.rows.items():
            click.echo(f"  {table}: {count:,}")
        first_id, last_id = report.case_ids
        ids = list(range(first_id, last_id + 1))
        chosen = sorted(random.Random(seed).sample(ids, min(sample, len(ids))))
        mismatches = check_cases(session, chosen, now=now)
        click.echo(f"Checked {len(chosen):,} cases against their events: {len(mismatches)} mismatch(es).")
        for mismatch in mismatches[:20]:
            click.echo(f"  {mismatch}", err=True)
        if mismatches:
            raise SystemExit(1)

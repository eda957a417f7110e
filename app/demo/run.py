"""`flask demo generate`: a stretch of realistic data, written day by day, then checked against its events."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.demo import shape
from app.demo.generate import Generator
from app.demo.world import load_world
from app.demo.writer import Writer
from app.models import Case


class DataPresent(Exception):
    """Cases already exist in the stretch asked for: generating again would double them."""


@dataclass
class RunReport:
    first: date
    last: date
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    typhoons: list[date] = field(default_factory=list)
    case_ids: tuple[int, int] = (0, 0)  # first and last id written

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def stretch(
    *, start: date | None, months: int | None, days: int | None, now: datetime, tz: ZoneInfo
) -> tuple[date, date]:
    """The days to generate: whole months from `start`, or the `days` up to today."""
    if start is not None:
        year, month = start.year + (start.month - 1 + (months or 1)) // 12, (start.month - 1 + (months or 1)) % 12 + 1
        last = date(year, month, 1) - timedelta(days=1)
        return start, min(last, now.astimezone(tz).date())
    today = now.astimezone(tz).date()
    return today - timedelta(days=(days or 30) - 1), today


def generate(
    *,
    session: Session,
    first: date,
    last: date,
    scale: float,
    seed: int,
    now: datetime,
    tz: ZoneInfo,
    progress: Callable[[date], None] | None = None,
) -> RunReport:
    """Write the stretch [first, last] at `scale`; refuses (DataPresent) if cases were received in it."""
    begin = datetime.combine(first, datetime.min.time(), tz)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tz)
    present = session.scalar(
        select(func.count()).select_from(Case).where(Case.received_at >= begin, Case.received_at < end)
    )
    session.rollback()
    if present:
        raise DataPresent(f"{present} case(s) were already received between {first} and {last}")
    started = time.perf_counter()
    world = load_world(session, tz=tz, first=first, last=last)
    import random

    typhoons = shape.typhoon_days(first, last, count=2 if (last - first).days >= 180 else 1, pick=random.Random(seed))
    generator = Generator(world, scale=scale, seed=seed, now=now, typhoons=typhoons)
    writer = Writer(session)
    report = RunReport(first, last, typhoons=typhoons)
    first_case = generator.ids["cases"]
    for batch in generator.days(first, last):
        writer.write(batch)
        if progress is not None:
            progress(batch.day)
    writer.finish()
    report.case_ids = (first_case, generator.ids["cases"] - 1)
    report.rows = dict(writer.rows)
    report.seconds = time.perf_counter() - started
    return report

"""`flask demo generate`: a stretch of realistic data, written day by day while the next days are generated."""

from __future__ import annotations

import multiprocessing
import queue
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.demo import shape
from app.demo.generate import Generator
from app.demo.world import load_world
from app.demo.writer import Prepared, Writer, prepare
from app.models import Case

_DONE = "done"


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
    parallel: bool = False

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def stretch(
    *, start: date | None, months: int | None, days: int | None, now: datetime, tz: ZoneInfo
) -> tuple[date, date]:
    """The days to generate: whole months from `start` (up to today), or the `days` up to today."""
    today = now.astimezone(tz).date()
    if start is not None:
        index = start.month - 1 + (months or 1)
        last = date(start.year + index // 12, index % 12 + 1, 1) - timedelta(days=1)
        return start, min(last, today)
    return today - timedelta(days=(days or 30) - 1), today


def _produce(generator: Generator, first: date, last: date, postgresql: bool, out: Any) -> None:
    """In a forked process: generate and prepare each day, hand it over, then the last ids."""
    for batch in generator.days(first, last):
        out.put(prepare(batch, postgresql=postgresql))
    out.put((_DONE, generator.ids))


def _batches(generator: Generator, first: date, last: date, postgresql: bool, parallel: bool) -> Iterator[Prepared]:
    """The prepared days, generated in a second process when `parallel` (the two cores then share the
    work: one generates, the other writes), else in this one. The rows are the same either way."""
    if not parallel:
        for batch in generator.days(first, last):
            yield prepare(batch, postgresql=postgresql)
        return
    context = multiprocessing.get_context("fork")
    handover = context.Queue(maxsize=4)
    process = context.Process(target=_produce, args=(generator, first, last, postgresql, handover), daemon=True)
    process.start()
    try:
        while True:
            try:
                item = handover.get(timeout=5)
            except queue.Empty:
                if not process.is_alive():
                    raise RuntimeError(f"the demo generator died (exit code {process.exitcode})") from None
                continue
            if isinstance(item, tuple) and item[0] == _DONE:
                generator.ids = item[1]
                return
            yield item
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()


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
    parallel: bool = False,
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
    world.settle()
    surges = 2 if (last - first).days >= 180 else 1
    typhoons = shape.typhoon_days(first, last, count=surges, pick=random.Random(seed))
    generator = Generator(world, scale=scale, seed=seed, now=now, typhoons=typhoons)
    writer = Writer(session)
    report = RunReport(first, last, typhoons=typhoons, parallel=parallel)
    first_case = generator.ids["cases"]
    if parallel:
        session.commit()  # nothing of this transaction may be open while the process forks
    for prepared in _batches(generator, first, last, writer.postgresql, parallel):
        writer.write(prepared)
        if progress is not None:
            progress(prepared.day)
    writer.finish()
    report.case_ids = (first_case, generator.ids["cases"] - 1)
    report.rows = dict(writer.rows)
    report.seconds = time.perf_counter() - started
    return report

"""The SLA sweep at scale, and deadline arithmetic on the working-time clock.

1. Sweep: for each size (10k, 100k, 1M cases) a fresh database is bulk-loaded with 10 % open
   cases that carry real SLA columns and a `next_sla_check_at` in the future, and 90 % closed
   cases whose SLA columns are NULL (as cases closed before deadlines existed). Then, per run,
   100 due cases are opened through the real intake service at a past moment, and
   `sla.sweep.sweep(now=T)` is timed. Every run gets 100 freshly opened cases (no parking, no
   rewriting of rows): the cases of earlier runs have had their milestones fired and their next
   check moved past T, so exactly the new 100 are due. The figure asked for is the ratio of the
   median sweep at the largest size to that at the smallest: index-driven, it should stay ≤ 2.
2. Clock: `sla.clock.add(working clock, start, 48 h)` over 200,000 random starts in 2025–2026,
   and `sla.timeline.plan(petition policy, working clock, start)` over the same starts.
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select

from app.cases.actors import Actor
from app.cases.deadlines import NO_PAUSES, SlaContext, case_policy, load_context, sla_fields
from app.cases.intake import NewCase, open_case
from app.db import current_session, db
from app.models import Case
from app.reference.cache import reference_cache
from app.reference.files import load_entries
from app.vocabulary import CaseStatus, Channel, Role
from bench.bulk import load_cases
from bench.database import (
    TZ,
    BenchDatabase,
    CategoryRef,
    DistrictRef,
    Reference,
    app_context,
    create_agent,
    load_reference,
    make_database,
    server_version,
)
from bench.datagen import CASE_COLUMNS, CaseGenerator, GeneratedCase, TextComposer, default_end
from bench.measure import NamedCpu, code_version, system_busy_seconds
from bench.report import _read, _write_atomically
from bench.search import StatementCapture, _database_size, _explain_one
from config.settings import REFERENCE_DIR
from sla.calendar import GovernmentCalendar
from sla.clock import Clock, WorkingClock, add, elapsed
from sla.policy import ClockKind, Policy, PolicyBook, build_policy
from sla.sweep import sweep
from sla.timeline import MilestoneKind, Target, plan

SIZES = (10_000, 100_000, 1_000_000)
OPEN_SHARE = 0.10
DUE = 100
TARGET_RATIO = 2.0
TARGET_ADDS_PER_S = 100_000
CLOCK_STARTS = 200_000
CLOCK_WINDOW = timedelta(hours=48)
CLOCK_YEARS = (2025, 2026)

# The columns a bulk-loaded case gets on top of the case core's: what deadlines.start_round writes.
SLA_BULK_COLUMNS = (
    "sla_policy",
    "sla_policy_version",
    "sla_round",
    "sla_started_at",
    "ack_due_at",
    "report_due_at",
    "sla_due_at",
    "sla_stage",
    "next_sla_check_at",
)
COLUMNS = CASE_COLUMNS + SLA_BULK_COLUMNS
_OPEN_LEAD = 100  # how far the open cases may run ahead of an even spread, so the last rows cannot leave us short
_TERMINAL = frozenset({"closed", "cancelled", "merged"})


@dataclass(frozen=True)
class SlaSweepOptions:
    sizes: tuple[int, ...] = SIZES
    sqlite_max_cases: int = 1_000_000  # larger sizes are skipped on SQLite
    runs: int = 9
    due: int = DUE
    clock_starts: int = CLOCK_STARTS
    clock_passes: int = 5  # warm passes of add()
    plan_passes: int = 3  # passes of plan()
    verify_rows: int = 200
    seed: int = 1999


# --- Bulk rows with SLA columns --------------------------------------------------------------


@dataclass
class _SlaView:
    """What deadlines.sla_fields reads of a case, for rows that exist only as tuples."""

    status: CaseStatus
    sla_started_at: datetime
    acknowledged_at: datetime | None
    reported_at: datetime | None
    sla_round: int = 1


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


class SlaCaseGenerator(CaseGenerator):
    """The search benchmark's cases (same text, ids, numbers), then 10 % opened with deadlines, 90 % closed.

    An open case is an assigned (or acknowledged) case of a category with a policy, whose clock
    started recently enough that no milestone has come yet: its SLA columns are exactly what
    deadlines.sla_fields computes at `now`, and it needs no SLA events. Its received, created and
    assigned times are moved to its SLA start (its case number keeps the generated day).
    Every other case is closed, cancelled or merged, with NULL SLA columns.
    """

    def __init__(
        self,
        reference: Reference,
        *,
        count: int,
        agent_id: int,
        end: datetime,
        now: datetime,
        seed: int,
        book: PolicyBook,
        versions: dict[str, int],
        context: SlaContext,
    ) -> None:
        super().__init__(reference, count=count, agent_id=agent_id, end=end, seed=seed)
        self.now = now
        self.book = book
        self.versions = versions
        self.context = context
        self.sla_rng = random.Random(seed + 1)  # the base rows stay those of the search benchmark
        self.target_open = round(count * OPEN_SHARE)
        self.opened = 0
        self.categories_by_id = {category.id: category for category in reference.categories}
        self.agency_codes = {agency_id: code for code, agency_id in reference.agencies.items()}
        self.policies: dict[tuple[int, int], Policy | None] = {}
        self.first_offsets: dict[tuple[str, bool], timedelta] = {}
        self.first_ack_offsets: dict[str, timedelta | None] = {}

    def __iter__(self) -> Iterator[GeneratedCase]:
        status_at, category_at, agency_at = (CASE_COLUMNS.index(n) for n in ("status", "category_id", "agency_id"))
        closed_sla = tuple(0 if name == "sla_round" else None for name in SLA_BULK_COLUMNS)
        for index, case in enumerate(super().__iter__()):
            agency_id = case.row[agency_at]
            policy = None if agency_id is None else self._policy(case.row[category_at], agency_id)
            quota = (index + 1) * self.target_open // self.count + _OPEN_LEAD
            if policy is not None and self.opened < min(self.target_open, quota):
                row = self._row(case)
                self._open(row, policy)
                self.opened += 1
            elif case.row[status_at] in _TERMINAL:  # most rows: as generated, no SLA columns
                yield GeneratedCase(row=case.row + closed_sla, grams=case.grams)
                continue
            else:
                row = self._row(case)
                self._close(row)
            yield GeneratedCase(row=tuple(row[name] for name in COLUMNS), grams=case.grams)

    @staticmethod
    def _row(case: GeneratedCase) -> dict[str, Any]:
        row = dict(zip(CASE_COLUMNS, case.row, strict=True))
        row.update(dict.fromkeys(SLA_BULK_COLUMNS), sla_round=0)
        return row

    def _policy(self, category_id: int, agency_id: int) -> Policy | None:
        key = (category_id, agency_id)
        if key not in self.policies:
            category: CategoryRef = self.categories_by_id[category_id]
            self.policies[key] = self.book.for_case(
                category=category.code, agency=self.agency_codes.get(agency_id), case_type=category.case_type
            )
        return self.policies[key]

    def _fields(self, policy: Policy, status: CaseStatus, start: datetime, acknowledged_at: datetime | None) -> Any:
        """deadlines.sla_fields for a case that exists only as a row: no pauses, nothing fired."""
        view = _SlaView(status=status, sla_started_at=start, acknowledged_at=acknowledged_at, reported_at=None)
        return sla_fields(cast(Case, view), policy, self.context, now=self.now, pauses=NO_PAUSES, fired=set())[1]

    def _first_ack(self, policy: Policy, clock: Clock, start: datetime) -> datetime | None:
        """The first acknowledgement milestone; on the wall clock a fixed offset from the start."""
        if policy.acknowledge_within is None:
            return None
        if policy.clock is ClockKind.WALL:
            if policy.key not in self.first_ack_offsets:
                first = plan(policy, clock, self.now).milestones[0]
                self.first_ack_offsets[policy.key] = first.due_at - self.now
            offset = self.first_ack_offsets[policy.key]
            return None if offset is None else start + offset
        return min(m.due_at for m in plan(policy, clock, start).milestones if m.target is Target.ACKNOWLEDGE)

    def _open(self, row: dict[str, Any], policy: Policy) -> None:
        rng, now = self.sla_rng, self.now
        clock = self.context.clock(policy.clock)
        acknowledged = rng.random() < 0.5
        status = CaseStatus.ACKNOWLEDGED if acknowledged else CaseStatus.ASSIGNED
        key = (policy.key, acknowledged)
        if key not in self.first_offsets:  # exact on the wall clock, a first guess on the working clock
            first = self._fields(policy, status, now, now if acknowledged else None)["next_sla_check_at"]
            self.first_offsets[key] = first - now
        min_age, max_age = timedelta(minutes=3), self.first_offsets[key]
        for _attempt in range(40):
            start = now - (min_age + (max_age - min_age) * rng.random())
            created = start + timedelta(seconds=rng.uniform(20, 120))
            acknowledged_at = None
            if acknowledged:
                first_ack = self._first_ack(policy, clock, start) or now
                acknowledged_at = created + (min(now, first_ack) - created) * rng.uniform(0.1, 0.9)
            fields = self._fields(policy, status, start, acknowledged_at)
            next_check = cast(datetime | None, fields["next_sla_check_at"])
            if next_check is not None and next_check > now and fields["sla_stage"] == "on_track":
                break
            max_age = max(min_age, (max_age - min_age) * 0.7 + min_age)
        else:
            raise RuntimeError(f"no start for an open {policy.key} case with nothing due at {now}")
        row.update(
            status=status.value,
            received_at=start,
            created_at=created,
            assigned_at=created,
            acknowledged_at=acknowledged_at,
            updated_at=acknowledged_at or created,
            reported_at=None,
            closed_at=None,
            reopened_at=None,
            merged_at=None,
            cancelled_at=None,
            resolution=None,
            report_text=None,
            parent_case_id=None,
            version=2 if acknowledged else 1,
            sla_policy=policy.key,
            sla_policy_version=self.versions[policy.key],
            sla_round=1,
            sla_started_at=start,
        )
        row.update({name: _utc(value) if isinstance(value, datetime) else value for name, value in fields.items()})

    def _close(self, row: dict[str, Any]) -> None:
        """Close a case the generator left open, in the order of its lifecycle and before `now`."""
        if row["status"] in _TERMINAL:
            return
        rng, created = self.sla_rng, row["created_at"]
        if row["agency_id"] is None:  # an unrouted "new" case: passed on, then closed
            closed = created + timedelta(hours=rng.uniform(1, 48))
            acknowledged = reported = None
            row["resolution"] = "已轉請相關單位處理"
            version = row["version"] + 1
        else:
            acknowledged = row["acknowledged_at"] or created + timedelta(minutes=rng.uniform(2, 90))
            reported = row["reported_at"] or acknowledged + timedelta(hours=rng.uniform(1, 20))
            closed = reported + timedelta(hours=rng.uniform(1, 30))
            row["report_text"] = row["report_text"] or "已派員現場處理完畢"
            row["resolution"] = "機關已處理完成，結案"
            version = 4
        if closed > self.now > created:  # squeeze the steps in before now
            scale = (self.now - created) * 0.99 / (closed - created)
            closed = created + (closed - created) * scale
            acknowledged = None if acknowledged is None else created + (acknowledged - created) * scale
            reported = None if reported is None else created + (reported - created) * scale
        row.update(
            status="closed",
            acknowledged_at=acknowledged,
            reported_at=reported,
            closed_at=closed,
            updated_at=closed,
            version=version,
        )


def _sla_generator(database: BenchDatabase, *, count: int, agent_id: int, now: datetime, seed: int) -> SlaCaseGenerator:
    engine = database.engine()
    try:
        reference = load_reference(engine)
    finally:
        engine.dispose()
    with app_context(database):
        snapshot = reference_cache.snapshot(current_session())
        context = load_context(current_session())
        book, versions = snapshot.policy_book, dict(snapshot.current_version)
    return SlaCaseGenerator(
        reference,
        count=count,
        agent_id=agent_id,
        end=default_end(),
        now=now,
        seed=seed,
        book=book,
        versions=versions,
        context=context,
    )


def _check_load(database: BenchDatabase, *, count: int, now: datetime, verify_rows: int, seed: int) -> dict[str, Any]:
    """The loaded rows are what the issue asks for, and their SLA columns are what the app computes."""
    with app_context(database):
        session = current_session()
        open_rows = session.scalar(select(func.count()).where(Case.next_sla_check_at.is_not(None)))
        due_rows = session.scalar(select(func.count()).where(Case.next_sla_check_at <= now))
        closed_rows = session.scalar(select(func.count()).where(Case.status == CaseStatus.CLOSED))
        expected_open = round(count * OPEN_SHARE)
        if open_rows != expected_open or due_rows != 0:
            raise RuntimeError(f"loaded {open_rows} open cases ({expected_open} wanted), {due_rows} due (0 wanted)")
        # Recompute a sample of the open rows with the app's own code, from the database's policies.
        ids = session.scalars(select(Case.id).where(Case.next_sla_check_at.is_not(None)).order_by(Case.id)).all()
        sample = random.Random(seed).sample(list(ids), min(verify_rows, len(ids)))
        context = load_context(session)
        mismatches = []
        for case in session.scalars(select(Case).where(Case.id.in_(sample))):
            policy = case_policy(session, case)
            if policy is None:
                mismatches.append(f"case {case.id}: no policy {case.sla_policy} v{case.sla_policy_version}")
                continue
            fields = sla_fields(case, policy, context, now=now, pauses=NO_PAUSES, fired=set())[1]
            for name, value in fields.items():
                if getattr(case, name) != value:
                    mismatches.append(f"case {case.id} {name}: loaded {getattr(case, name)}, computed {value}")
        by_policy = dict(
            session.execute(
                select(Case.sla_policy, func.count()).where(Case.sla_policy.is_not(None)).group_by(Case.sla_policy)
            ).all()
        )
    if mismatches:
        raise RuntimeError("bulk SLA columns differ from deadlines.sla_fields:\n" + "\n".join(mismatches[:10]))
    return {
        "open_with_next_check": open_rows,
        "closed": closed_rows,
        "open_by_policy": dict(sorted(by_policy.items(), key=lambda item: -item[1])),
        "verified_rows": len(sample),
    }


# --- Due cases, through the real intake service -----------------------------------------------


@dataclass(frozen=True)
class DueKind:
    """Cases of one category opened so that one milestone (and all before it) is due at T."""

    category: str
    share: float
    target: Target
    kind: MilestoneKind
    number: int = 1  # the warning's number


# 40 fallen trees a minute past the acknowledgement breach (warning, breach and escalation due, with
# outbox rows to the supervisors), 30 street lights just past their first warning, 30 petitions
# just past their first report-back warning on the working clock.
DUE_MIX = (
    DueKind("fallen_tree", 0.4, Target.ACKNOWLEDGE, MilestoneKind.ESCALATED),
    DueKind("street_light", 0.3, Target.ACKNOWLEDGE, MilestoneKind.WARNING),
    DueKind("noise", 0.3, Target.REPORT, MilestoneKind.WARNING),
)


class DueCases:
    """Opens `due` cases per run that the sweep at `now` finds due, each with a start of its own kind.

    Used inside the app context the sweeps run in.
    """

    def __init__(self, reference: Reference, actor: Actor, now: datetime, due: int, seed: int) -> None:
        self.reference, self.actor, self.now, self.due = reference, actor, now, due
        rng = random.Random(seed + 2)
        self.composer = TextComposer(rng)
        agency_codes = {agency_id: code for code, agency_id in reference.agencies.items()}
        snapshot = reference_cache.snapshot(current_session())
        context = load_context(current_session())
        current_session().rollback()
        counts = [round(kind.share * due) for kind in DUE_MIX]
        counts[0] += due - sum(counts)
        self.plans: list[tuple[DueKind, DistrictRef, datetime]] = []
        self.starts: dict[tuple[DueKind, str], datetime] = {}
        for kind, count in zip(DUE_MIX, counts, strict=True):
            category = reference.category(kind.category)
            for _ in range(count):
                district = rng.choice(reference.districts)
                agency = reference.agency_for(category, district)
                policy = snapshot.policy_book.for_case(
                    category=category.code,
                    agency=agency_codes.get(agency) if agency is not None else None,
                    case_type=category.case_type,
                )
                if policy is None:
                    raise RuntimeError(f"no SLA policy for {category.code} in {district.code}")
                self.plans.append((kind, district, self._start(kind, policy, context.clock(policy.clock))))

    def _start(self, kind: DueKind, policy: Policy, clock: Clock) -> datetime:
        """The latest start (to the second) that puts the milestone a minute of counting time before now.

        Found by bisection with the public arithmetic (plan, elapsed): a later start never moves a
        milestone earlier.
        """
        key = (kind, policy.key)
        if key in self.starts:
            return self.starts[key]

        def milestone_at(start: datetime) -> datetime:
            return next(
                m.due_at
                for m in plan(policy, clock, start).milestones
                if m.target is kind.target and m.kind is kind.kind and m.number == kind.number
            )

        lead = timedelta(minutes=1)
        early, late = self.now - timedelta(days=60), self.now
        if elapsed(clock, milestone_at(early), self.now) < lead:
            raise RuntimeError(f"{policy.key}: no start in the last 60 days makes {kind.kind} due")
        while late - early > timedelta(seconds=1):
            middle = early + (late - early) / 2
            if elapsed(clock, milestone_at(middle), self.now) >= lead:
                early = middle
            else:
                late = middle
        self.starts[key] = (early - timedelta(microseconds=early.microsecond)).astimezone(UTC)
        return self.starts[key]

    def open_batch(self) -> list[int]:
        """Open one run's cases through app.cases.intake.open_case, each at its own start."""
        ids = []
        for kind, district, start in self.plans:
            case = open_case(
                session=current_session(),
                actor=self.actor,
                new_case=NewCase(
                    channel=Channel.PHONE,
                    category_code=kind.category,
                    district_code=district.code,
                    address=self.composer.address(district.name_zh),
                    description=self.composer.description(kind.category, located=True),
                    reporter_name=self.composer.name(),
                ),
                tz=TZ,
                now=start,
            )
            ids.append(case.id)
        due = current_session().scalar(select(func.count()).where(Case.next_sla_check_at <= self.now))
        db.session.remove()
        if due != self.due:
            raise RuntimeError(f"{due} cases due at {self.now} after opening {self.due}")
        return ids


# --- Timing the sweep ------------------------------------------------------------------------------


class SqlTimer:
    """Statements sent and time spent inside the driver's execute, to tell database time from Python time."""

    def __init__(self) -> None:
        self.statements = 0
        self.seconds = 0.0
        self._started = 0.0

    def before(self, *_args: Any) -> None:
        self._started = time.perf_counter()

    def after(self, *_args: Any) -> None:
        self.seconds += time.perf_counter() - self._started
        self.statements += 1


def _sweep_once(now: datetime, kind: str, capture: StatementCapture | None = None) -> dict[str, Any]:
    """One sweep in a fresh session on the app's pool, as the worker runs it; with the CPU used meanwhile."""
    db.session.remove()
    gc.collect()
    timer = SqlTimer() if capture is not None else None
    if capture is not None and timer is not None:
        event.listen(db.engine, "before_cursor_execute", capture)
        event.listen(db.engine, "before_cursor_execute", timer.before)
        event.listen(db.engine, "after_cursor_execute", timer.after)
    postgres = NamedCpu("postgres") if kind == "postgresql" else None
    busy, own = system_busy_seconds(), time.process_time()
    started = time.perf_counter()
    report = sweep(current_session(), now=now)
    elapsed = time.perf_counter() - started
    own = time.process_time() - own
    server = postgres.used() if postgres is not None else 0.0
    other = max(0.0, system_busy_seconds() - busy - own - server)
    if capture is not None and timer is not None:
        event.remove(db.engine, "before_cursor_execute", capture)
        event.remove(db.engine, "before_cursor_execute", timer.before)
        event.remove(db.engine, "after_cursor_execute", timer.after)
    db.session.remove()
    result = {
        "seconds": elapsed,
        "cases": report.cases,
        "fired": dict(sorted(report.fired.items())),
        "own_cpu_s": own,
        "postgres_cpu_s": server,
        "other_cores": other / elapsed if elapsed else 0.0,
    }
    if timer is not None:
        result.update(statements=timer.statements, sql_seconds=timer.seconds)
    return result


def _due_query_plan(capture: StatementCapture) -> str:
    """The plan of the sweep's due-case query as the sweep sent it, with cases due (rolled back: FOR UPDATE locks)."""
    statement = next(
        ((sql, parameters) for sql, parameters in capture.statements if "next_sla_check_at <=" in sql), None
    )
    if statement is None:
        return "(the due-case query was not captured)"
    plan_text = _explain_one(db.engine.dialect.name, *statement)
    current_session().rollback()
    db.session.remove()
    shown = " ".join(statement[0].split())
    return f"-- {shown}\n-- parameters: {statement[1]!r}\n{plan_text}"


def _measure_size(
    kind: str, workdir: Path, size: int, options: SlaSweepOptions, pg_url: str, now: datetime
) -> dict[str, Any]:
    print(f"  [{kind} {size:,}] migrate + seed, agent user", flush=True)
    database = make_database(kind, workdir / f"{size}", pg_url)
    agent_id, _token = create_agent(database)
    generator = _sla_generator(database, count=size, agent_id=agent_id, now=now, seed=options.seed)
    print(f"  [{kind} {size:,}] generating and loading {size:,} cases (10 % open with deadlines)", flush=True)
    load, _sample = load_cases(
        database,
        count=size,
        agent_id=agent_id,
        end=default_end(),
        seed=options.seed,
        generator=generator,
        columns=COLUMNS,
    )
    checked = _check_load(database, count=size, now=now, verify_rows=options.verify_rows, seed=options.seed)
    print(
        f"  [{kind} {size:,}] loaded in {load.seconds:.0f} s; {checked['open_with_next_check']:,} open with a next "
        f"check, 0 due; {checked['verified_rows']} rows match deadlines.sla_fields",
        flush=True,
    )
    engine = database.engine()
    try:
        reference = load_reference(engine)
    finally:
        engine.dispose()
    actor = Actor(user_id=agent_id, username="bench-agent", role=Role.AGENT)
    runs: list[dict[str, Any]] = []
    opening: list[float] = []
    # One app (one pool) for all runs, like the worker process that runs the sweep.
    with app_context(database):
        due_cases = DueCases(reference, actor, now, options.due, options.seed)
        # A first sweep in this process (reference snapshot, clock tables, statement caches), not counted.
        due_cases.open_batch()
        first = _sweep_once(now, kind)
        for _run in range(options.runs):
            started = time.perf_counter()
            due_cases.open_batch()
            opening.append(time.perf_counter() - started)
            runs.append(_sweep_once(now, kind))
        # One more, not counted, with every statement captured and timed in the driver.
        due_cases.open_batch()
        capture = StatementCapture()
        instrumented = _sweep_once(now, kind, capture)
        # And the due-case query's plan with a batch due.
        due_cases.open_batch()
        plan_text = _due_query_plan(capture)
    for result in [first, *runs, instrumented]:
        if result["cases"] != options.due or result["fired"] != first["fired"]:
            raise RuntimeError(f"a sweep checked {result['cases']} cases, fired {result['fired']}: {first} expected")
    seconds = [result["seconds"] for result in runs]
    median_ms = statistics.median(seconds) * 1000
    print(
        f"  [{kind} {size:,}] sweep of {options.due} due cases: median {median_ms:.1f} ms over {options.runs} runs "
        f"(min {min(seconds) * 1000:.1f}, max {max(seconds) * 1000:.1f}; first {first['seconds'] * 1000:.1f}); "
        f"fired {first['fired']}; {instrumented['statements']} statements, "
        f"{instrumented['sql_seconds'] * 1000:.0f} of {instrumented['seconds'] * 1000:.0f} ms in the driver",
        flush=True,
    )
    return {
        "cases": size,
        "database": server_version(database),
        **checked,
        "database_mb": _database_size(database),
        "load": {
            "seconds": round(load.seconds, 1),
            "rows_per_s": round(load.rows_per_s),
            "steps_s": {step: round(value, 1) for step, value in load.steps.items()},
            "method": load.notes,
        },
        "due_per_run": options.due,
        "fired_per_run": first["fired"],
        "events_per_run": sum(first["fired"].values()),
        "first_sweep_ms": round(first["seconds"] * 1000, 2),
        "sweep_ms": [round(value * 1000, 2) for value in seconds],
        "median_ms": round(median_ms, 2),
        "min_ms": round(min(seconds) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2),
        "sweep_cpu_ms": {
            "benchmark_process_median": round(statistics.median(r["own_cpu_s"] for r in runs) * 1000, 1),
            "postgres_median": round(statistics.median(r["postgres_cpu_s"] for r in runs) * 1000, 1),
        },
        "other_processes_cores_per_run": [round(r["other_cores"], 2) for r in runs],
        "instrumented_run": {
            "ms": round(instrumented["seconds"] * 1000, 2),
            "statements": instrumented["statements"],
            "in_driver_ms": round(instrumented["sql_seconds"] * 1000, 2),
        },
        "opening_due_cases_s": round(statistics.median(opening), 2),
        "due_query_plan": plan_text,
    }


def run_sla_sweep(kind: str, workdir: Path, options: SlaSweepOptions, pg_url: str) -> dict[str, Any]:
    """Every size on one backend; the sweep's `now` (T) is the moment the benchmark started."""
    now = datetime.now(UTC).replace(microsecond=0)
    code = code_version()  # what this process imported; `code` in the JSON is read when the entry is written
    sizes = [size for size in options.sizes if kind != "sqlite" or size <= options.sqlite_max_cases]
    skipped = [size for size in options.sizes if size not in sizes]
    results: dict[str, Any] = {}
    for size in sizes:
        results[str(size)] = _measure_size(kind, workdir, size, options, pg_url, now)
        if kind == "sqlite":
            _remove_sqlite(workdir / f"{size}")
    smallest, largest = results[str(min(sizes))], results[str(max(sizes))]
    ratio = largest["median_ms"] / smallest["median_ms"] if smallest["median_ms"] else None
    return {
        "backend": kind,
        "database": results[str(max(sizes))]["database"],
        "now": now.isoformat(),
        "code_at_start": code,
        "open_share": OPEN_SHARE,
        "runs": options.runs,
        "due_mix": [f"{round(k.share * options.due)} {k.category} ({k.target}:{k.kind} due)" for k in DUE_MIX],
        "sizes": results,
        "skipped_sizes": skipped,
        "ratio": {
            "of": f"median sweep at {max(sizes):,} / at {min(sizes):,} cases",
            "value": None if ratio is None else round(ratio, 2),
            "target": TARGET_RATIO,
            "meets_target": ratio is not None and ratio <= TARGET_RATIO,
        },
        "method": METHOD,
    }


METHOD = [
    "a fresh database per size (migrations + seed), cases bulk-loaded as in the search benchmark "
    "(same generated rows and loader), then re-shaped: 10 % open (assigned or acknowledged, of a category "
    "with a policy) with SLA columns computed by deadlines.sla_fields at T and a next check after T, "
    "their times moved to their SLA start; 90 % closed/cancelled/merged with NULL SLA columns; "
    "a sample of the open rows is re-read and checked against deadlines.sla_fields",
    "per run, the due cases are opened through app.cases.intake.open_case at a past moment (untimed), "
    "then sla.sweep.sweep(now=T) is timed in a fresh session; cases of earlier runs are no longer due at "
    "T (their due milestones fired, their next check is hours later), so each run sweeps exactly the new ones; "
    "case_events stays append-only, nothing is rewritten",
    "a first sweep per size is not counted (reference snapshot, clock tables, statement caches); one more "
    "after the timed runs, not counted either, captures and times every statement in the driver "
    "(statements / in driver ms); the due-case query's plan is taken with a batch due",
    "other processes, cores: CPU used during each timed sweep by anything but this process and the "
    "postgres backends (from /proc/stat), median over the runs: above ~0.2 the figures are disturbed",
]


def _remove_sqlite(directory: Path) -> None:
    for path in directory.glob("bench.db*"):
        path.unlink(missing_ok=True)


# --- The clock ---------------------------------------------------------------------------------


def petition_policy() -> Policy:
    """The petition policy exactly as sla.yaml defines it (what the seed stores)."""
    case_type_of = {
        entry["code"]: entry["case_type"] for entry in load_entries(REFERENCE_DIR / "categories.yaml", "categories")
    }
    for entry in load_entries(REFERENCE_DIR / "sla.yaml", "policies"):
        if entry.get("case_type") == "petition" and entry.get("category") is None:
            return build_policy(entry, where="sla.yaml", case_type_of=case_type_of)
    raise RuntimeError("sla.yaml has no petition policy")


def _rate(items: int, seconds: float) -> float:
    return items / seconds if seconds else 0.0


def run_clock(options: SlaSweepOptions) -> dict[str, Any]:
    """Deadlines per second on the working clock: a fresh clock's first pass, then warm passes."""
    code = code_version()
    rng = random.Random(options.seed)
    first = datetime(CLOCK_YEARS[0], 1, 1, tzinfo=UTC).timestamp()
    last = datetime(CLOCK_YEARS[-1] + 1, 1, 1, tzinfo=UTC).timestamp()
    starts = [datetime.fromtimestamp(rng.uniform(first, last), UTC) for _ in range(options.clock_starts)]
    policy = petition_policy()
    tz = ZoneInfo("Asia/Taipei")

    # What building the per-year tables costs, on a clock of its own.
    started = time.perf_counter()
    tables = WorkingClock(GovernmentCalendar(), tz)
    for year in range(CLOCK_YEARS[0], CLOCK_YEARS[-1] + 2):  # 48 h from late December reach the next year
        add(tables, datetime(year, 7, 1, tzinfo=tz), timedelta(0))
    tables_ms = (time.perf_counter() - started) * 1000

    clock = WorkingClock(GovernmentCalendar(), tz)  # a fresh clock: its first pass builds the tables

    def time_adds() -> float:
        gc.collect()
        started = time.perf_counter()
        for start in starts:
            add(clock, start, CLOCK_WINDOW)
        return time.perf_counter() - started

    def time_plans() -> float:
        gc.collect()
        started = time.perf_counter()
        for start in starts:
            plan(policy, clock, start)
        return time.perf_counter() - started

    n = len(starts)
    busy, own, wall = system_busy_seconds(), time.process_time(), time.perf_counter()
    first_pass = time_adds()
    add_passes = [time_adds() for _ in range(max(1, options.clock_passes))]
    plan_passes = [time_plans() for _ in range(max(1, options.plan_passes))]
    wall = time.perf_counter() - wall
    other = max(0.0, system_busy_seconds() - busy - (time.process_time() - own)) / wall
    milestones = plan(policy, clock, starts[0]).milestones
    adds_per_s = _rate(n, statistics.median(add_passes))
    plans_per_s = _rate(n, statistics.median(plan_passes))
    print(
        f"  add(working clock, start, 48 h): {adds_per_s:,.0f}/s (median of {len(add_passes)} warm passes over "
        f"{n:,} starts; first pass on a fresh clock {_rate(n, first_pass):,.0f}/s; year tables {tables_ms:.0f} ms)",
        flush=True,
    )
    print(
        f"  plan(petition policy, working clock, start): {plans_per_s:,.0f} timelines/s "
        f"({len(milestones)} milestones each); other processes used {other:.2f} cores meanwhile",
        flush=True,
    )
    return {
        "backend": "clock (pure Python)",
        "code_at_start": code,
        "starts": n,
        "years": list(CLOCK_YEARS),
        "window": "48h",
        "timezone": "Asia/Taipei",
        "calendar": "GovernmentCalendar() (no overrides), default working hours",
        "year_tables_ms": round(tables_ms, 1),
        "add": {
            "per_s": round(adds_per_s),
            "passes_per_s": [round(_rate(n, seconds)) for seconds in add_passes],
            "first_pass_per_s": round(_rate(n, first_pass)),
            "target_per_s": TARGET_ADDS_PER_S,
            "meets_target": adds_per_s >= TARGET_ADDS_PER_S,
        },
        "plan": {
            "policy": json.dumps(policy.to_spec(), ensure_ascii=False),
            "milestones_per_timeline": len(milestones),
            "milestone_kinds": [f"{m.target}:{m.kind}" for m in milestones],
            "per_s": round(plans_per_s),
            "passes_per_s": [round(_rate(n, seconds)) for seconds in plan_passes],
        },
        "other_processes_cores": round(other, 2),
    }


# --- Markdown ------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"


def markdown_section(results_dir: Path, heading: str = "##") -> list[str]:
    """The SLA figures as markdown lines (for sla-sweep.md and the README summary)."""
    document = _read(results_dir / "sla_sweep.json")
    results = document.get("results", {})
    if not results:
        return []
    due = next((e["sizes"][k]["due_per_run"] for e in results.values() for k in e.get("sizes", {})), DUE)
    commands = sorted({entry["command"] for entry in results.values() if entry.get("command")})
    lines = [
        f"{heading} SLA sweep: {due} due cases among 10 % open, by table size",
        "",
        *(f"Command: `{command}`" for command in commands),
        "",
        "| backend | cases | open with next check | load s | database MB | sweep median ms | min ms | max ms "
        "| first sweep ms | events per sweep | statements / in driver ms (1 run) | other processes, cores |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ratios = []
    for backend, entry in results.items():
        if "sizes" not in entry:
            continue
        for size in entry["sizes"].values():
            instrumented = size["instrumented_run"]
            other = statistics.median(size["other_processes_cores_per_run"])
            lines.append(
                f"| {backend} | {size['cases']:,} | {size['open_with_next_check']:,} | {size['load']['seconds']:,.0f} "
                f"| {size['database_mb']:,.0f} | {_ms(size['median_ms'])} | {_ms(size['min_ms'])} "
                f"| {_ms(size['max_ms'])} | {_ms(size['first_sweep_ms'])} | {size['events_per_run']} "
                f"| {instrumented['statements']} / {_ms(instrumented['in_driver_ms'])} | {other:.2f} |"
            )
        ratio = entry["ratio"]
        verdict = "meets" if ratio["meets_target"] else "**misses**"
        skipped = entry.get("skipped_sizes") or []
        note = f" ({', '.join(f'{s:,}' for s in skipped)} cases not run on {backend})" if skipped else ""
        ratios.append(
            f"- {backend}: {ratio['of']} = **{ratio['value']}** ({verdict} the target ≤ {ratio['target']}){note}"
        )
    lines += ["", *ratios, ""]
    clock = results.get("clock (pure Python)")
    if clock:
        add_ = clock["add"]
        plan_ = clock["plan"]
        lines += [
            f"{heading} Working-time clock: deadline arithmetic per second",
            "",
            "| computation | per second (median of warm passes) | warm passes | first pass, fresh clock | target |",
            "|---|---:|---|---:|---|",
            f"| `add(WorkingClock, start, 48 h)` | {add_['per_s']:,} | "
            + ", ".join(f"{v:,}" for v in add_["passes_per_s"])
            + f" | {add_['first_pass_per_s']:,} | ≥ {add_['target_per_s']:,}/s: "
            + ("yes" if add_["meets_target"] else "**no**")
            + " |",
            f"| `plan(petition policy, WorkingClock, start)`: {plan_['milestones_per_timeline']} milestones "
            f"({', '.join(plan_['milestone_kinds'])}) | {plan_['per_s']:,} | "
            + ", ".join(f"{v:,}" for v in plan_["passes_per_s"])
            + " | – | – |",
            "",
            f"Over {clock['starts']:,} random starts in {clock['years'][0]}–{clock['years'][-1]}, "
            f"{clock['timezone']}, {clock['calendar']}; one process, one core. Building the clock's year tables "
            f"({clock['years'][0]}–{clock['years'][-1] + 1}) took {clock['year_tables_ms']} ms. Other processes used "
            f"{clock['other_processes_cores']} cores meanwhile.",
            "",
        ]
    some = next((e for e in results.values() if "sizes" in e), None)
    if some:
        lines += [
            "Due cases per run: " + ", ".join(some["due_mix"]) + ".",
            "",
            *(f"- {line}" for line in some["method"]),
            "",
            "Full figures (every run, load steps, the due-case query's plan) are in `sla_sweep.json` and "
            "`sla-sweep.md`.",
            "",
        ]
    return lines


def write_markdown(results_dir: Path) -> Path:
    document = _read(results_dir / "sla_sweep.json")
    results = document.get("results", {})
    facts = document.get("machine", {})
    lines = [
        "# Benchmark: SLA sweep and working-time clock",
        "",
        f"Machine: {facts.get('cpus')} CPUs, Python {facts.get('python')}, SQLite {facts.get('sqlite')}, "
        f"{facts.get('platform')}.",
        "",
        *markdown_section(results_dir),
    ]
    for backend, entry in results.items():
        for size in entry.get("sizes", {}).values():
            lines += [
                f"## Due-case query plan: {backend}, {size['cases']:,} cases",
                "",
                "```",
                size["due_query_plan"],
                "```",
                "",
            ]
    path = results_dir / "sla-sweep.md"
    _write_atomically(path, "\n".join(lines))
    return path


def append_to_summary(results_dir: Path) -> Path | None:
    """Add the SLA figures to README.md (which report.write_summary rewrites from the other benchmarks)."""
    lines = markdown_section(results_dir)
    if not lines:
        return None
    path = results_dir / "README.md"
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    _write_atomically(path, existing.rstrip("\n") + "\n\n" + "\n".join(lines))
    return path


def sizes_argument(text: str) -> tuple[int, ...]:
    """Sizes written like "10000,100000,1000000" (underscores allowed: 1_000_000)."""
    return tuple(int(part.strip().replace("_", "")) for part in text.split(",") if part.strip())

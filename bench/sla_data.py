"""The SLA sweep's data: bulk-loaded cases with real SLA columns (10 % open, 90 % closed) and the check of
the loaded rows; and the due cases each run opens through the real intake service."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import func, select

from app.access import Actor
from app.cases.deadlines import NO_PAUSES, SlaContext, case_policy, load_context, sla_fields
from app.cases.intake import NewCase, open_case
from app.db import current_session, db
from app.models import Case
from app.reference.cache import reference_cache
from app.vocabulary import CaseStatus, Channel
from bench.database import TZ, BenchDatabase, CategoryRef, DistrictRef, Reference, app_context, load_reference
from bench.datagen import CASE_COLUMNS, CaseGenerator, GeneratedCase, TextComposer, default_end
from sla.clock import Clock, elapsed
from sla.policy import ClockKind, Policy, PolicyBook
from sla.timeline import MilestoneKind, Target, plan

OPEN_SHARE = 0.10

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


def sla_generator(database: BenchDatabase, *, count: int, agent_id: int, now: datetime, seed: int) -> SlaCaseGenerator:
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


def check_load(database: BenchDatabase, *, count: int, now: datetime, verify_rows: int, seed: int) -> dict[str, Any]:
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

"""A day of the centre at a time: who called, what was recorded, and what became of it.

Deterministic for a seed: one `random.Random`, days in order, cases in the order they were
recorded. A day's rows (cases with all their events, calls, pauses, search grams) are handed to
the writer as one batch; ids are taken from the highest in the database, case numbers from the
day counters, which are left at the last number used so new intake continues without a gap.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from app.cases import search, textgrams
from app.cases.milestones import CLOCK_COLUMNS
from app.cases.numbers import format_case_no
from app.demo import shape
from app.demo.batch import Batch, Intake, cumulative
from app.demo.life import Sim
from app.demo.lives import Course, Stop, dispatch_course, duplicate_course, petition_course
from app.demo.parts import Person
from app.demo.world import World
from app.vocabulary import CallOutcome, CaseStatus, CaseType, Channel, EventType

_MEAN_DAY = (sum(shape.WEEKDAY) / 7) * (sum(shape.MONTHLY) / 12)
_HOURS = list(accumulate(shape.HOURLY))


class Generator:
    def __init__(self, world: World, *, scale: float, seed: int, now: datetime, typhoons: list[date]) -> None:
        self.world, self.scale, self.now, self.typhoons = world, scale, now, set(typhoons)
        self.rng = random.Random(seed)
        self.ids = dict(world.next_ids)
        self.districts = cumulative({c: w for c, w in shape.DISTRICT_WEIGHT.items() if c in world.districts})
        self.mixes = {
            kind: cumulative({c: w for c, w in mix.items() if c in world.categories})
            for kind, mix in (
                ("dispatch", shape.DISPATCH_MIX),
                ("petition", shape.PETITION_MIX),
                ("supervision", shape.SUPERVISION_MIX),
                ("consultation", shape.CONSULTATION_CASE_MIX),
            )
        }
        self.channels = cumulative(shape.NON_PHONE_CHANNELS)
        self.others = cumulative(shape.OTHER_CALLS)

    # --- small draws ----------------------------------------------------------------------

    def _count(self, per_year: float, weight: float) -> int:
        expected = per_year / 365.25 * weight * self.scale
        whole = int(expected)
        return whole + (1 if self.rng.random() < expected - whole else 0)

    def _pick(self, table: tuple[list[str], list[float]]) -> str:
        names, cumulative = table
        return names[bisect(cumulative, self.rng.random() * cumulative[-1])]

    def _moment(self, day: date) -> datetime:
        hour = bisect(_HOURS, self.rng.random() * _HOURS[-1])
        local = datetime.combine(day, time(hour), self.world.tz) + timedelta(seconds=self.rng.random() * 3600)
        return local.astimezone(UTC)

    def _next_id(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] = value + 1
        return value

    def _address(self, district: str) -> str:
        rng = self.rng
        street = shape.STREETS[rng.randrange(len(shape.STREETS))]
        lane = f"{rng.randint(1, 300)}巷" if rng.random() < 0.3 else ""
        return f"{self.world.districts[district][1]}{street}{lane}{rng.randint(1, 400)}號"

    def _phone(self) -> str:
        if self.rng.random() < 0.8:
            return f"+8869{self.rng.randrange(10**8):08d}"
        return f"+8867{self.rng.randrange(10**7):07d}"

    def _name(self) -> str:
        return self.rng.choice(shape.SURNAMES) + self.rng.choice(shape.GIVEN)

    def _agent(self) -> Person:
        return self.world.agents[self.rng.randrange(len(self.world.agents))]

    def _end_of(self, day: date) -> datetime:
        return datetime.combine(day, time(23, 59, 59), self.world.tz).astimezone(UTC)

    # --- a day --------------------------------------------------------------------------------

    def days(self, first: date, last: date) -> Iterator[Batch]:
        day = first
        while day <= last and datetime.combine(day, time(0), self.world.tz) <= self.now:
            yield self.day(day)
            day += timedelta(days=1)

    def _intake(
        self, day: date, category: str, district: str, *, at: datetime | None = None, written: bool = False
    ) -> Intake:
        received = at or self._moment(day)
        # A typhoon's reports come by phone (and a duplicate must be recorded after the case it joins);
        # a consultation recorded as a case was written (the web mailbox, the app, a letter).
        phone = not written and (at is not None or self.rng.random() < shape.PHONE_SHARE_OF_CASES)
        channel = Channel.PHONE if phone else Channel(self._pick(self.channels))
        delay = timedelta(minutes=self.rng.uniform(2, 7) if phone else self.rng.uniform(5, 180))
        created = min(received + delay, self._end_of(day))
        return Intake(received, created, category, district, self._address(district), channel, self._agent())

    def _surge(self, day: date) -> list[Intake]:
        """A typhoon: hundreds of flooding and fallen-tree reports in a few districts over one afternoon and
        night, many of the same place within hours (the first is the case, the rest merged or added)."""
        rng = self.rng
        districts = rng.sample(list(self.world.districts)[:12], 4)
        start = datetime.combine(day, time(12), self.world.tz).astimezone(UTC)
        intakes: list[Intake] = []
        for _ in range(max(4, int(90 * self.scale))):
            category = "road_flooding" if rng.random() < 0.6 else "fallen_tree"
            first = self._intake(day, category, rng.choice(districts), at=start + timedelta(hours=rng.uniform(0, 11)))
            first.surge = True
            intakes.append(first)
            for _ in range(rng.randint(2, 8)):
                when = first.created_at + timedelta(minutes=rng.uniform(5, 180))
                if when > self._end_of(day) or when > self.now:
                    continue
                if rng.random() < 0.5:
                    first.added.append((when + timedelta(minutes=3), self._phone()))
                    continue
                twin = self._intake(day, category, first.district, at=when)
                twin.address, twin.surge, twin.primary = first.address, True, first
                twin.merge_at = twin.created_at + timedelta(minutes=rng.uniform(10, 90))
                intakes.append(twin)
        for _ in range(int(400 * self.scale)):
            category = "road_flooding" if rng.random() < 0.5 else "fallen_tree"
            loose = self._intake(day, category, rng.choice(districts), at=start + timedelta(hours=rng.uniform(0, 12)))
            loose.surge = True
            intakes.append(loose)
        return [intake for intake in intakes if intake.received_at <= self.now]

    def day(self, day: date) -> Batch:
        weight = shape.WEEKDAY[day.weekday()] * shape.MONTHLY[day.month - 1] / _MEAN_DAY
        batch = Batch(day)
        intakes: list[Intake] = []
        for kind, per_year in (
            ("dispatch", shape.DISPATCHES_A_YEAR),
            ("petition", shape.PETITIONS_A_YEAR),
            ("supervision", shape.SUPERVISION_A_YEAR),
        ):
            for _ in range(self._count(per_year, weight)):
                intakes.append(self._intake(day, self._pick(self.mixes[kind]), self._pick(self.districts)))
        for _ in range(self._count(shape.CONSULTATION_CASES_A_YEAR, weight)):
            category = self._pick(self.mixes["consultation"])
            intakes.append(self._intake(day, category, self._pick(self.districts), written=True))
        if day in self.typhoons:
            intakes.extend(self._surge(day))
        intakes = [intake for intake in intakes if intake.created_at <= self.now]
        intakes.sort(key=lambda intake: intake.created_at)
        sequence = self.world.counters.get(day, 0)
        for intake in intakes:
            sequence += 1
            intake.case_id, intake.case_no = self._next_id("cases"), format_case_no(day, sequence)
        if intakes:
            batch.counter = (day, sequence)
        by_primary: dict[int, list[Intake]] = {}
        for intake in intakes:
            if intake.primary is not None:
                by_primary.setdefault(intake.primary.case_id, []).append(intake)
        for intake in intakes:
            self._case(batch, intake, by_primary.get(intake.case_id, []))
        self._calls(batch, day, weight, len(intakes))
        return batch

    # --- a case -------------------------------------------------------------------------------

    def _case(self, batch: Batch, intake: Intake, twins: list[Intake]) -> None:
        world, rng = self.world, self.rng
        category_id, name_zh, case_type, urgent, _ = world.categories[intake.category]
        agency, reason = world.route(intake.category, intake.district)
        words = shape.WORDS.get(intake.category)
        description = rng.choice(words) if words else rng.choice(shape.GENERIC_WORDS).format(name=name_zh)
        anonymous = rng.random() < 0.05
        phone = self._phone()
        row: dict[str, Any] = {
            "id": intake.case_id,
            "case_no": intake.case_no,
            "case_type": case_type.value,
            "channel": intake.channel.value,
            "status": CaseStatus.ASSIGNED if agency else CaseStatus.NEW,
            "category_id": category_id,
            "district_id": world.districts[intake.district][0],
            "agency_id": None,
            "address": intake.address,
            "latitude": None,
            "longitude": None,
            "description": description,
            "search_text": search.search_text(description, intake.address),
            "reporter_name": None if anonymous else self._name(),
            "reporter_phone": phone,
            "anonymous": anonymous,
            "wants_sms_reply": phone.startswith("+8869") and rng.random() < 0.3,
            "resolution": None,
            "report_text": None,
            "parent_case_id": None,
            "created_by_id": intake.agent.user_id,
            "received_at": intake.received_at,
            "created_at": intake.created_at,
            "updated_at": intake.created_at,
            "assigned_at": None,
            "acknowledged_at": None,
            "reported_at": None,
            "closed_at": None,
            "reopened_at": None,
            "merged_at": None,
            "cancelled_at": None,
            "version": 1,
            "sla_policy": None,
            "sla_policy_version": None,
            "sla_round": 0,
            "sla_started_at": None,
            "ack_due_at": None,
            "report_due_at": None,
            "sla_due_at": None,
            "sla_stage": None,
            "next_sla_check_at": None,
            "alert_step": 0,
            "next_alert_at": None,
            "alert_ladder": None,
            "alert_ladder_version": None,
            "report_count": 1,
            "report_outcome": None,
            "report_extension_seconds": 0,
            **dict.fromkeys(CLOCK_COLUMNS),
        }
        sim = Sim(
            intake.case_id,
            intake.case_no,
            intake.received_at,
            urgent,
            lambda a: world.rules_for(intake.category, case_type, urgent, a),
            lambda: rng.randint(1, 30),
            row,
        )
        created = {
            "case_no": intake.case_no,
            "case_type": case_type.value,
            "channel": intake.channel.value,
            "category": intake.category,
            "district": intake.district,
            "received_at": intake.received_at.isoformat(),
        }
        if intake.channel in (Channel.PHONE, Channel.COUNTER):
            self._call(
                batch,
                intake.agent,
                phone,
                intake.received_at,
                intake.created_at,
                CallOutcome.CASE_OPENED,
                case_id=intake.case_id,
                channel=intake.channel,
            )
        if case_type is CaseType.CONSULTATION:
            self._consultation(sim, intake, created)
        elif agency is None:  # no route: left for the supervisors' triage
            sim.emit(EventType.CASE_CREATED, intake.created_at, intake.agent, created)
            sim.emit(EventType.ROUTING_FAILED, intake.created_at, intake.agent, {"reason": reason})
        else:
            sim.open(intake.created_at, intake.agent, created, agency, reason)
            self._live(batch, sim, intake, twins, case_type)
        self._emit_rows(batch, sim)

    def _consultation(self, sim: Sim, intake: Intake, created: dict[str, Any]) -> None:
        """Answered and closed at intake (立即回覆); a very few wait for an answer the centre closes later."""
        sim.emit(EventType.CASE_CREATED, intake.created_at, intake.agent, created)
        answer = self.rng.choice(shape.CONSULTATION_ANSWERS)
        closed_at = intake.created_at
        if self.rng.random() < 1 - shape.ANSWERED_AT_ONCE:
            closed_at += timedelta(hours=self.rng.uniform(2, 48))
            if closed_at > self.now:
                return
        sim.row.update(status=CaseStatus.CLOSED, closed_at=closed_at, resolution=answer, updated_at=closed_at)
        sim.emit(EventType.CASE_CLOSED, closed_at, intake.agent, {"resolution": answer})

    def _live(self, batch: Batch, sim: Sim, intake: Intake, twins: list[Intake], case_type: CaseType) -> None:
        course = Course(
            sim, self.now, self.rng, self.world, intake.category, intake.agent, slow=2.5 if intake.surge else 1.0
        )
        extra = list(intake.added)
        if case_type is CaseType.DISPATCH and not intake.surge and self.rng.random() < 0.04:
            extra.append((intake.created_at + timedelta(minutes=self.rng.uniform(10, 120)), self._phone()))
        for when, phone in extra:
            call_id = (
                self._call(
                    batch,
                    self._agent(),
                    phone,
                    when - timedelta(minutes=3),
                    when,
                    CallOutcome.ADDED_TO_CASE,
                    case_id=intake.case_id,
                )
                if when <= self.now
                else 0
            )
            course.incoming.append((when, self._adder(sim, when, phone, call_id)))
        for twin in twins:
            assert twin.merge_at is not None
            course.incoming.append((twin.merge_at, self._merger(sim, twin)))
        course.incoming.sort(key=lambda item: item[0])
        try:
            if intake.primary is not None and intake.merge_at is not None:
                duplicate_course(course, intake.merge_at, intake.primary.case_id, intake.primary.case_no)
            elif case_type is CaseType.PETITION:
                petition_course(course)
            else:
                window = sim.policy.report_within.total_seconds() / 3600 if sim.policy else 24
                dispatch_course(course, window_hours=window)
        except Stop:
            pass
        course.finish()
        self._inquiries(batch, sim)

    def _adder(self, sim: Sim, when: datetime, phone: str, call_id: int) -> Any:
        def added() -> None:
            if sim.row["status"] in (CaseStatus.ASSIGNED, CaseStatus.ACKNOWLEDGED, CaseStatus.WAITING_CITIZEN):
                sim.add_report(when, self._agent(), phone, None, call_id)

        return added

    def _merger(self, sim: Sim, twin: Intake) -> Any:
        def received() -> None:
            assert twin.merge_at is not None
            sim.merge_received(twin.merge_at, self.world.supervisors[0], twin.case_no)

        return received

    def _inquiries(self, batch: Batch, sim: Sim) -> None:
        """進度查詢: the reporter calls to ask how it is going, now and then."""
        row = sim.row
        if row["status"] in (CaseStatus.MERGED, CaseStatus.CANCELLED) or self.rng.random() > 0.3:
            return
        end = min(row["closed_at"] or self.now, row["created_at"] + timedelta(days=14), self.now)
        span = (end - row["created_at"]).total_seconds()
        if span > 3600:
            started = row["created_at"] + timedelta(seconds=self.rng.uniform(3600, span))
            self._call(
                batch,
                self._agent(),
                row["reporter_phone"],
                started,
                started + timedelta(minutes=2),
                CallOutcome.PROGRESS_INQUIRY,
                case_id=row["id"],
            )

    def _emit_rows(self, batch: Batch, sim: Sim) -> None:
        # Ids in the order the rows were written (a sweep writes a milestone after it was due); stable, so
        # events of one step keep the services' order.
        sim.events.sort(key=lambda event: event[3])
        for event in sim.events:
            batch.events.append((self._next_id("case_events"), sim.case_id, *event))
        for started, ended, reason, user_id in sim.pauses:
            batch.pauses.append((self._next_id("sla_pauses"), sim.case_id, started, ended, reason, user_id))
        row = sim.row
        row["status"] = CaseStatus(row["status"]).value
        batch.cases.append(row)
        batch.grams.append((row["id"], textgrams.short_grams(row["search_text"])))

    # --- calls --------------------------------------------------------------------------------

    def _call(
        self,
        batch: Batch,
        agent: Person,
        phone: str | None,
        started: datetime,
        ended: datetime,
        outcome: CallOutcome,
        *,
        case_id: int | None = None,
        channel: Channel = Channel.PHONE,
        article_id: int | None = None,
        answer: str | None = None,
        to: str | None = None,
    ) -> int:
        call_id = self._next_id("calls")
        batch.calls.append(
            (
                call_id,
                phone,
                None,
                channel.value,
                agent.user_id,
                started,
                ended,
                outcome.value,
                case_id,
                article_id,
                answer,
                to,
                None,
            )
        )
        return call_id

    def _calls(self, batch: Batch, day: date, weight: float, cases: int) -> None:
        """The day's calls that are not about a case: consultations answered on the line, and the rest."""
        total = self._count(shape.CALLS_A_YEAR, weight)
        consultations = int(total * shape.CONSULTATION_SHARE)
        others = max(0, total - consultations - len(batch.calls))
        rng, articles = self.rng, self.world.articles
        for _ in range(consultations):
            started = self._moment(day)
            article = articles[rng.randrange(len(articles))] if articles and rng.random() < 0.6 else None
            answer = None if article else rng.choice(shape.CONSULTATION_ANSWERS)
            self._call(
                batch,
                self._agent(),
                self._phone(),
                started,
                started + timedelta(seconds=rng.uniform(60, 420)),
                CallOutcome.CONSULTATION_ANSWERED,
                article_id=article,
                answer=answer,
            )
        for _ in range(others):
            started = self._moment(day)
            outcome = CallOutcome(self._pick(self.others))
            to = rng.choice(shape.TRANSFER_TO) if outcome is CallOutcome.TRANSFERRED else None
            self._call(
                batch,
                self._agent(),
                self._phone() if rng.random() < 0.9 else None,
                started,
                started + timedelta(seconds=rng.uniform(10, 200)),
                outcome,
                to=to,
            )
        batch.calls = [call for call in batch.calls if call[6] <= self.now]

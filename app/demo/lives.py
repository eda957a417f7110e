"""How long things take: each case's course from intake to closure, drawn from a seeded Random.

Dispatches are acknowledged in minutes and reported in hours, petitions in working days; a tail of
each is late. A few are re-routed by the centre, handed back by the agency (申請改分), waited on
(the citizen must answer), extended (申請展延), returned after their report (退回) or cancelled.
Nothing happens after `now`: a case whose next step would come later is left where it is.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from app.demo import shape
from app.demo.life import Sim
from app.demo.parts import AgencyRef, Person
from app.vocabulary import CaseStatus, EventType
from sla.clock import add

if TYPE_CHECKING:
    from app.demo.world import World

H = timedelta(hours=1)
M = timedelta(minutes=1)
OUTCOMES = list(shape.REPORT_OUTCOMES)
OUTCOME_WEIGHTS = list(shape.REPORT_OUTCOMES.values())


class Stop(Exception):
    """The next step would come after `now`."""


@dataclass
class Course:
    """One case's life being played: the simulation, what others add to it, and the clock's end."""

    sim: Sim
    now: datetime
    rng: random.Random
    people: World
    category: str
    agent: Person
    slow: float = 1.0  # a typhoon: everyone is slower
    incoming: list[tuple[datetime, Callable[[], None]]] = field(default_factory=list)
    t: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.t = self.sim.row["created_at"]

    def at(self, moment: datetime) -> datetime:
        """Move on to `moment` (never back), letting what others add happen first; Stop past `now`."""
        moment = max(moment, self.t + timedelta(seconds=1))
        self._deliver(moment)
        if moment > self.now:
            raise Stop
        self.t = moment
        return moment

    def later(self, delay: timedelta) -> datetime:
        return self.at(self.t + delay)

    def _deliver(self, until: datetime) -> None:
        while self.incoming and self.incoming[0][0] < until and self.incoming[0][0] <= self.now:
            moment, action = self.incoming.pop(0)
            self.t = max(self.t, moment)
            action()

    def finish(self) -> None:
        if self.sim.row["status"] not in (CaseStatus.MERGED, CaseStatus.CANCELLED, CaseStatus.CLOSED):
            self._deliver(self.now)
        self.sim.final(self.now)

    def responder(self) -> Person:
        assert self.sim.agency is not None
        return self.people.responders[self.sim.agency.code]

    def supervisor(self) -> Person:
        return self.rng.choice(self.people.supervisors)


def _minutes(rng: random.Random, median: float, late_share: float, late: tuple[float, float]) -> timedelta:
    """A lognormal delay around `median` minutes, with `late_share` of them drawn from `late` instead."""
    if rng.random() < late_share:
        return timedelta(minutes=rng.uniform(*late))
    return timedelta(minutes=min(rng.lognormvariate(0, 0.6) * median, late[0] * 0.95))


def other_agency(course: Course) -> AgencyRef:
    """Where a case goes when the first agency was the wrong one: a city bureau other than this."""
    current = course.sim.agency.code if course.sim.agency else ""
    bureaus = [code for code in course.people.agencies if not code.startswith("DO-") and code != current]
    return course.people.agencies[course.rng.choice(bureaus)]


def _report(course: Course, who: Person) -> None:
    outcome = course.rng.choices(OUTCOMES, OUTCOME_WEIGHTS)[0]
    course.sim.report(course.t, who, shape.REPORT_WORDS[outcome], outcome)


def _jurisdiction(course: Course, ack_delay: Callable[[], timedelta]) -> None:
    """申請改分: the agency says it is another's; the centre approves and re-routes it."""
    target = other_agency(course)
    course.later(timedelta(minutes=course.rng.uniform(10, 180)))
    reason = f"非本機關權責，應由{target.code}辦理"
    course.sim.note(
        EventType.JURISDICTION_REQUESTED,
        course.t,
        course.responder(),
        {"request_id": None, "reason": reason, "to_agency": target.code},
    )
    course.later(timedelta(minutes=course.rng.uniform(20, 300)))
    boss = course.supervisor()
    course.sim.note(
        EventType.JURISDICTION_APPROVED,
        course.t,
        boss,
        {"request_id": None, "to_agency": target.code, "reason": reason},
    )
    course.sim.reassign(course.t, boss, target, "jurisdiction_request")
    course.later(ack_delay())
    course.sim.acknowledge(course.t, course.responder())


def dispatch_course(course: Course, *, window_hours: float) -> None:
    """派工: acknowledged in minutes, reported within hours (a tail late), closed by the centre."""
    rng, slow = course.rng, course.slow
    short = window_hours <= 4

    def ack_delay() -> timedelta:
        return _minutes(rng, 6 * slow, 0.06 * slow, (14, 120)) if short else _minutes(rng, 9 * slow, 0.08, (28, 240))

    def report_delay() -> timedelta:
        if short:
            return _minutes(rng, 80 * slow, 0.08 * slow, (240, 1500))
        return _minutes(rng, 360 * slow, 0.1, (1440, 5000))

    roll = rng.random()
    if roll < 0.005:
        course.later(timedelta(minutes=rng.uniform(5, 60)))
        course.sim.cancel(course.t, course.agent, "民眾來電表示已自行處理")
        return
    if roll < 0.035:
        course.later(timedelta(minutes=rng.uniform(3, 30)))
        course.sim.reassign(course.t, course.supervisor(), other_agency(course), "manual")
    course.later(ack_delay())
    course.sim.acknowledge(course.t, course.responder())
    if rng.random() < 0.015:
        _jurisdiction(course, ack_delay)
    course.later(report_delay())
    _report(course, course.responder())
    if rng.random() < 0.02:
        course.later(timedelta(minutes=rng.uniform(60, 720)))
        course.sim.give_back(course.t, course.supervisor(), "回報內容與現場不符，請再查處")
        course.later(ack_delay())
        course.sim.acknowledge(course.t, course.responder())
        course.later(report_delay())
        _report(course, course.responder())
    course.later(timedelta(minutes=rng.uniform(20, 1200)))
    course.sim.close(course.t, course.agent, "機關已回報處理完畢，結案")


def petition_course(course: Course) -> None:
    """陳情: acknowledged within hours, reported in working days (6 by default), some late."""
    rng, sim = course.rng, course.sim
    assert sim.policy is not None and sim.clock is not None

    def ack_delay() -> timedelta:
        return timedelta(minutes=rng.lognormvariate(0, 0.9) * 240)

    def report_at() -> datetime:
        window = sim.policy.report_within if sim.policy else timedelta(hours=48)
        roll = rng.random()
        share = (
            rng.uniform(0.05, 0.95) if roll < 0.8 else rng.uniform(0.95, 1.0) if roll < 0.9 else rng.uniform(1.0, 2.5)
        )
        return add(sim.clock, sim.row["sla_started_at"], window * share) if sim.clock else course.t + H

    roll = rng.random()
    if roll < 0.005:
        course.later(timedelta(hours=rng.uniform(1, 48)))
        sim.cancel(course.t, course.agent, "陳情人撤回")
        return
    if roll < 0.025:
        course.later(timedelta(minutes=rng.uniform(30, 480)))
        sim.reassign(course.t, course.supervisor(), other_agency(course), "manual")
    course.later(ack_delay())
    sim.acknowledge(course.t, course.responder())
    roll = rng.random()
    if roll < 0.02:
        _jurisdiction(course, ack_delay)
    elif roll < 0.05:
        course.later(timedelta(hours=rng.uniform(2, 48)))
        sim.wait(course.t, course.responder(), "請陳情人補充詳細地點與照片")
        course.later(timedelta(hours=rng.uniform(20, 150)))
        sim.resume(course.t, course.responder())
    elif roll < 0.075 and sim.clock is not None and sim.policy is not None:
        due = sim.recorded().report_due_at
        course.at(max(course.t + H, add(sim.clock, sim.row["sla_started_at"], sim.policy.report_within * 0.6)))
        if course.t < due:
            reason = "需會同相關單位現場會勘"
            new_due = add(sim.clock, due, timedelta(hours=8 * rng.randint(3, 10)))
            sim.note(
                EventType.EXTENSION_REQUESTED,
                course.t,
                course.responder(),
                {"request_id": None, "reason": reason, "report_due_at": new_due.astimezone(UTC).isoformat()},
            )
            course.later(timedelta(minutes=rng.uniform(30, 360)))
            if course.t < due:
                sim.extend(course.t, course.supervisor(), None, new_due, reason)
    course.at(report_at())
    _report(course, course.responder())
    if rng.random() < 0.02:
        course.later(timedelta(hours=rng.uniform(2, 30)))
        sim.give_back(course.t, course.supervisor(), "回覆內容未具體說明處理情形，請補充")
        course.later(ack_delay())
        sim.acknowledge(course.t, course.responder())
        course.at(report_at())
        _report(course, course.responder())
    course.later(timedelta(hours=rng.uniform(0.5, 40)))
    sim.close(course.t, course.agent, "機關已回覆陳情人，結案")


def duplicate_course(course: Course, merge_at: datetime, target_id: int, target_no: str) -> None:
    """A second report of the same place recorded as a case of its own, merged into the first (併案)."""
    if course.rng.random() < 0.4:
        course.at(min(merge_at - M, course.t + timedelta(minutes=course.rng.uniform(2, 10))))
        course.sim.acknowledge(course.t, course.responder())
    course.at(merge_at)
    course.sim.merge_into(course.t, course.supervisor(), target_id, target_no, "同一地點重複通報，併案處理")

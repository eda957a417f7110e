"""One generated case's life, step by step, writing the events the services and the sweeps would write.

Each action first lets time pass up to its moment the way the SLA sweep and the alert ladder
would (every milestone and ladder step due by then is recorded, stamped as they stamp it), then
changes the case as the service does. Deadlines come from the real engine (`sla.timeline.plan`
on the city's clocks), computed once per round and per pause; the columns are set from that
timeline with the same pure functions `app.cases.deadlines.sla_fields` uses. `app.demo.check`
re-derives a sample of cases from their events with `sla_fields` itself, so any drift between the
two shows up as a mismatch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.cases.milestones import CLOCK_COLUMNS, measure
from app.demo.parts import AgencyRef, Person, RoundRules, plan
from app.vocabulary import STOPPED_STATUSES, CaseStatus, EventType
from dispatch.ladder import LadderPolicy, rung
from sla.clock import Clock, Interval, elapsed
from sla.policy import Policy
from sla.timeline import MilestoneKind, Stage, Target, Timeline, due, keep_recorded, nearest_due, next_check, stage

SWEEP = {"actor": "sla", "role": "system"}
LADDER = {"actor": "dispatch", "role": "system"}
MILESTONE_EVENTS = {
    MilestoneKind.WARNING: EventType.SLA_WARNING,
    MilestoneKind.BREACHED: EventType.SLA_BREACHED,
    MilestoneKind.ESCALATED: EventType.SLA_ESCALATED,
}


def _seconds(duration: timedelta) -> int:
    return math.ceil(duration.total_seconds())  # rounded up: a deadline missed by half a second is missed


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


@dataclass
class Sim:
    """The case row being built (column names as in `cases`) and its events, in order."""

    case_id: int
    case_no: str
    received_at: datetime
    urgent: bool
    rules_for: Any  # Callable[[AgencyRef], RoundRules]
    lag: Any  # Callable[[], int]: seconds a sweep takes to notice a milestone
    row: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    pauses: list[list[Any]] = field(default_factory=list)  # [started_at, ended_at | None, reason, user_id]
    agency: AgencyRef | None = None
    policy: Policy | None = None
    clock: Clock | None = None
    fired: set[str] = field(default_factory=set)
    timeline: Timeline | None = None
    ladder: LadderPolicy | None = None
    _pinned: Timeline | None = None
    base_policy: Policy | None = None  # the round's policy as stored, before any extension

    # --- bookkeeping ------------------------------------------------------------------------

    def emit(
        self,
        event_type: EventType,
        at: datetime,
        who: dict[str, Any] | Person,
        payload: dict[str, Any],
        *,
        key: str | None = None,
        recorded_at: datetime | None = None,
        left_agency_id: int | None = None,
        actor_id: int | None = None,
    ) -> None:
        if isinstance(who, Person):
            actor_id, who = who.user_id, {"actor": who.username, "role": who.role}
        agency_id = self.agency.id if self.agency else None
        self.events.append(
            (event_type.value, actor_id, at, recorded_at or at, {**who, **payload}, key, agency_id, left_agency_id)
        )

    def _in_round(self) -> list[Interval]:
        start = self.row["sla_started_at"]
        return [(p[0], p[1]) for p in self.pauses if p[1] is not None and p[1] > start]

    def _open_pause(self) -> datetime | None:
        return self.pauses[-1][0] if self.pauses and self.pauses[-1][1] is None else None

    def _replan(self) -> None:
        assert self.policy is not None and self.clock is not None
        self._pinned = None
        self.timeline = plan(self.policy, self.clock, self.row["sla_started_at"], self._in_round())

    def _met(self) -> dict[Target, datetime]:
        met: dict[Target, datetime] = {}
        acknowledged = self.row["acknowledged_at"] or self.row["reported_at"]
        if acknowledged is not None:
            met[Target.ACKNOWLEDGE] = acknowledged
        if self.row["reported_at"] is not None:
            met[Target.REPORT] = self.row["reported_at"]
        return met

    def recorded(self) -> Timeline:
        """The timeline with each breached target pinned at the deadline it was breached at (cached)."""
        if self._pinned is not None:
            return self._pinned
        assert self.timeline is not None
        round_no, stored = self.row["sla_round"], {Target.ACKNOWLEDGE: "ack_due_at", Target.REPORT: "report_due_at"}
        pinned = {
            target: self.row[column]
            for target, column in stored.items()
            if self.row[column] is not None and f"{round_no}:{target}:breached" in self.fired
        }
        self._pinned = keep_recorded(self.timeline, pinned)
        return self._pinned

    def _columns(self, now: datetime) -> None:
        """The SLA columns as `deadlines.sla_fields` sets them (same pure functions, cached timeline)."""
        if self.timeline is None:
            return
        timeline, met, open_since = self.recorded(), self._met(), self._open_pause()
        as_of = min(now, open_since) if open_since else now
        reached = stage(timeline, met, as_of)
        upcoming = next_check(timeline, met, self.fired, self.row["sla_round"])
        self.row.update(
            ack_due_at=timeline.ack_due_at,
            report_due_at=timeline.report_due_at,
            sla_due_at=nearest_due(timeline, met),
            next_sla_check_at=upcoming,
            sla_stage=reached.value,
        )
        if self.row["status"] in STOPPED_STATUSES:
            self.row.update(sla_stage=Stage.STOPPED.value, sla_due_at=None, next_sla_check_at=None)
        elif open_since is not None:
            paused = reached if reached in (Stage.BREACHED, Stage.ESCALATED) else Stage.PAUSED
            self.row.update(
                sla_stage=paused.value,
                next_sla_check_at=upcoming if upcoming is not None and upcoming <= as_of else None,
            )

    def advance(self, now: datetime) -> None:
        """What the sweeps record by `now`: due milestones of this round, due ladder steps."""
        self._climb(now)
        if self.timeline is None or self.row["status"] in STOPPED_STATUSES:
            return
        open_since = self._open_pause()
        as_of = min(now, open_since) if open_since else now
        timeline, round_no = self.recorded(), self.row["sla_round"]
        for milestone in due(timeline, self._met(), as_of):
            key = milestone.key(round_no)
            if key in self.fired:
                continue
            payload = {
                "target": milestone.target.value,
                "deadline": _iso(timeline.due_at(milestone.target)),
                "policy": self.row["sla_policy"],
                "policy_version": self.row["sla_policy_version"],
                "round": round_no,
                "agency": self.agency.code if self.agency else None,
            }
            # The next sweep after it was due (and after the case was recorded: a letter's clock
            # starts when it arrived, so its first milestones may be due before intake).
            recorded_at = min(max(milestone.due_at, self.row["created_at"]) + timedelta(seconds=self.lag()), now)
            payload["found_late_seconds"] = int((recorded_at - milestone.due_at).total_seconds())
            if milestone.kind is MilestoneKind.WARNING:
                payload["warning"] = milestone.number
            self.emit(
                MILESTONE_EVENTS[milestone.kind], milestone.due_at, SWEEP, payload, key=key, recorded_at=recorded_at
            )
            self.fired.add(key)
            if milestone.kind is MilestoneKind.BREACHED:
                # The sweep writes the deadline it breached; that one stays (keep_recorded).
                column = "ack_due_at" if milestone.target is Target.ACKNOWLEDGE else "report_due_at"
                self.row[column] = timeline.due_at(milestone.target)
                self._pinned = None

    def final(self, now: datetime) -> None:
        """Everything due by `now` recorded, and the SLA columns as the last write left them."""
        self.advance(now)
        self._columns(now)

    def _climb(self, now: datetime) -> None:
        row = self.row
        while (
            self.ladder is not None
            and row["next_alert_at"] is not None
            and row["next_alert_at"] <= now
            and row["status"] == CaseStatus.ASSIGNED
            and self.agency is not None
        ):
            step = row["alert_step"] + 1
            at = min(row["next_alert_at"] + timedelta(seconds=self.lag()), now)
            current = rung(step)
            calls = self.agency.duty_phones if current.value == "call_duty" else self.agency.supervisor_phones
            calls = calls or self.agency.duty_phones
            payload = {
                "step": step,
                "rung": current.value,
                "agency": self.agency.code,
                "calls": list(calls),
                "no_one_to_call": not calls,
            }
            self.emit(EventType.ALERT_ESCALATED, at, LADDER, payload, key=f"{row['sla_round']}:ladder:{step}")
            row["alert_step"], row["next_alert_at"] = step, at + self.ladder.delay_before(step + 1)

    def _measure(self) -> None:
        """The case's own clock when the agency acknowledged and reported back in this round, and the
        windows it was held to, as the services store them (each once a round)."""
        policy, clock, row = self.base_policy, self.clock, self.row
        if policy is None or clock is None or row["sla_started_at"] is None:
            return
        acknowledged = row["acknowledged_at"] or row["reported_at"]
        fields = measure(
            policy,
            clock,
            row["sla_started_at"],
            self._in_round(),
            acknowledged_at=acknowledged if row["ack_clock_seconds"] is None else None,
            reported_at=row["reported_at"] if row["report_clock_seconds"] is None else None,
            extension_seconds=row["report_extension_seconds"],
        )
        row.update(fields)

    def _stop_ladder(self) -> None:
        self.row["next_alert_at"] = None

    def _end_wait(self, at: datetime) -> None:
        """Close the open pause (a report, merge or cancel while waiting); the deadlines move by it."""
        if self._open_pause() is not None:
            self.pauses[-1][1] = at
            self._replan()

    def _touch(self, at: datetime) -> None:
        self.row["updated_at"] = at
        self.row["version"] += 1

    # --- the services' actions ---------------------------------------------------------------

    def _start_round(self, start: datetime, at: datetime) -> None:
        assert self.agency is not None
        rules: RoundRules = self.rules_for(self.agency)
        self.row["sla_round"] += 1
        self.policy, self.clock = rules.policy, rules.clock
        self.base_policy = rules.policy
        # A new round measures the agency afresh (the monthly report's clock columns).
        self.row.update(dict.fromkeys(CLOCK_COLUMNS), report_extension_seconds=0)
        if rules.policy is None:
            self.timeline = None
            self.row.update(
                sla_policy=None,
                sla_policy_version=None,
                sla_started_at=None,
                ack_due_at=None,
                report_due_at=None,
                sla_due_at=None,
                sla_stage=None,
                next_sla_check_at=None,
            )
        else:
            self.row.update(sla_policy=rules.policy.key, sla_policy_version=rules.version, sla_started_at=start)
            self._replan()
        if self.urgent and rules.ladder is not None:
            self.ladder = rules.ladder
            self.row.update(
                alert_step=0,
                next_alert_at=at + rules.ladder.delay_before(1),
                alert_ladder=rules.ladder.key,
                alert_ladder_version=rules.ladder_version,
            )

    def _dispatched(self, at: datetime, who: Person) -> None:
        """alert_on_dispatch's events: a duty phone that takes no SMS is recorded as skipped."""
        assert self.agency is not None
        for phone, reason in self.agency.sms_skipped:
            self.emit(EventType.ALERT_SKIPPED, at, who, {"phone": phone, "reason": reason})

    def open(self, at: datetime, who: Person, created: dict[str, Any], agency: AgencyRef, reason: str) -> None:
        """Intake: created and assigned by the routing rules, deadlines from when the citizen called."""
        self.agency = agency
        self.row.update(agency_id=agency.id, assigned_at=at)
        self.emit(EventType.CASE_CREATED, at, who, created)
        self.emit(EventType.CASE_ASSIGNED, at, who, {"agency": agency.code, "previous_agency": None, "reason": reason})
        self._start_round(self.received_at, at)
        self._dispatched(at, who)

    def acknowledge(self, at: datetime, who: Person) -> None:
        self.advance(at)
        self.row.update(status=CaseStatus.ACKNOWLEDGED, acknowledged_at=at)
        self._touch(at)
        self.emit(EventType.CASE_ACKNOWLEDGED, at, who, {})
        self._measure()
        self._stop_ladder()

    def reassign(self, at: datetime, who: Person, agency: AgencyRef, reason: str) -> None:
        """改分 by the centre (by hand, or after an approved jurisdiction request): a new round."""
        self.advance(at)
        previous = self.agency
        assert previous is not None and previous.code != agency.code
        details = {"time_with_previous_agency_seconds": int((at - self.row["assigned_at"]).total_seconds())}
        self.agency = agency
        self.row.update(agency_id=agency.id, status=CaseStatus.ASSIGNED, assigned_at=at, acknowledged_at=None)
        self._touch(at)
        self.emit(
            EventType.CASE_ASSIGNED,
            at,
            who,
            {"agency": agency.code, "previous_agency": previous.code, "reason": reason, **details},
            left_agency_id=previous.id,
        )
        self._stop_ladder()
        self._start_round(at, at)
        self._dispatched(at, who)

    def note(self, event_type: EventType, at: datetime, who: Person, payload: dict[str, Any]) -> None:
        """A step that changes nothing on the row by itself (a request, an approval's record)."""
        self.advance(at)
        self.emit(event_type, at, who, payload)

    def wait(self, at: datetime, who: Person, reason: str) -> None:
        self.advance(at)
        self.pauses.append([at, None, reason, who.user_id])
        self.row["status"] = CaseStatus.WAITING_CITIZEN
        self._touch(at)
        self.emit(EventType.SLA_PAUSED, at, who, {"reason": reason})

    def resume(self, at: datetime, who: Person) -> None:
        self.advance(at)
        paused = self.pauses[-1][0]
        self.pauses[-1][1] = at
        self.row["status"] = CaseStatus.ACKNOWLEDGED
        self._touch(at)
        self._replan()
        self.emit(
            EventType.SLA_RESUMED,
            at,
            who,
            {
                "paused_seconds": int((at - paused).total_seconds()),
                "report_due_at": _iso(self.recorded().report_due_at),
            },
        )

    def extend(self, at: datetime, who: Person, request_id: int | None, new_due: datetime, reason: str) -> None:
        """申請展延 approved: the report deadline moves to `new_due` (request and approval events)."""
        assert self.policy is not None and self.clock is not None
        self.advance(at)
        previous = self.recorded().report_due_at
        # As app.cases.requests approves it: whole counting seconds, rounded up, added to the round's window.
        extra = _seconds(elapsed(self.clock, previous, new_due))
        self.row["report_extension_seconds"] += extra
        assert self.base_policy is not None
        self.policy = self.base_policy.with_report_extension(timedelta(seconds=self.row["report_extension_seconds"]))
        self._replan()
        self._touch(at)
        self.emit(
            EventType.EXTENSION_APPROVED,
            at,
            who,
            {
                "request_id": request_id,
                "previous_report_due_at": _iso(previous),
                "report_due_at": _iso(new_due),
                "reason": reason,
            },
        )

    def report(self, at: datetime, who: Person, text: str, outcome: str) -> None:
        self.advance(at)
        if self.row["acknowledged_at"] is None:
            self.row["acknowledged_at"] = at
            self.emit(EventType.CASE_ACKNOWLEDGED, at, who, {"implied_by": "report"})
        self._end_wait(at)
        self.row.update(status=CaseStatus.REPORTED, reported_at=at, report_text=text, report_outcome=outcome)
        self._touch(at)
        self.emit(EventType.CASE_REPORTED, at, who, {"text": text, "outcome": outcome, "photos": 0})
        self._measure()
        self._stop_ladder()

    def give_back(self, at: datetime, who: Person, reason: str) -> None:
        """退回: the centre returns the agency's report; back to assigned, a new round from now."""
        self.advance(at)
        reported_at, outcome = self.row["reported_at"], self.events_outcome()
        self.row.update(status=CaseStatus.ASSIGNED, assigned_at=at, acknowledged_at=None, reported_at=None)
        self._touch(at)
        self.emit(
            EventType.CASE_RETURNED, at, who, {"reason": reason, "reported_at": _iso(reported_at), "outcome": outcome}
        )
        self._start_round(at, at)
        self._dispatched(at, who)

    def events_outcome(self) -> str | None:
        for event in reversed(self.events):
            if event[0] == EventType.CASE_REPORTED.value:
                return str(event[4].get("outcome"))
        return None

    def close(self, at: datetime, who: Person, resolution: str) -> None:
        self.advance(at)
        accepted = self.row["reported_at"]  # 結案審核: the centre accepts the agency's report
        self.row.update(status=CaseStatus.CLOSED, closed_at=at, resolution=resolution)
        self._touch(at)
        self.emit(EventType.CASE_CLOSED, at, who, {"resolution": resolution, "accepted_report_at": _iso(accepted)})

    def merge_into(self, at: datetime, who: Person, target_id: int, target_no: str, reason: str | None) -> None:
        """併案, this side; the case it goes into records `merge_received` at the same moment."""
        self.advance(at)
        self._end_wait(at)
        self.row.update(status=CaseStatus.MERGED, merged_at=at, parent_case_id=target_id)
        self._touch(at)
        self.emit(EventType.CASE_MERGED, at, who, {"into": target_no, "reason": reason})
        self._stop_ladder()

    def merge_received(self, at: datetime, who: Person, merged_no: str) -> None:
        self.advance(at)
        self._touch(at)
        self.emit(EventType.CASE_MERGE_RECEIVED, at, who, {"merged": merged_no})

    def cancel(self, at: datetime, who: Person, reason: str) -> None:
        self.advance(at)
        self._end_wait(at)
        self.row.update(status=CaseStatus.CANCELLED, cancelled_at=at)
        self._touch(at)
        self.emit(EventType.CASE_CANCELLED, at, who, {"reason": reason})
        self._stop_ladder()

    def add_report(self, at: datetime, who: Person, phone: str | None, name: str | None, call_id: int) -> None:
        """追加反映 from another caller: the case counts one more report (its version does not move)."""
        self.advance(at)
        self.row["report_count"] += 1
        self.emit(
            EventType.REPORT_ADDED,
            at,
            who,
            {
                "reporter_name": name,
                "reporter_phone": phone,
                "anonymous": False,
                "text": None,
                "call_id": call_id,
                "report_count": self.row["report_count"],
            },
        )

"""The SLA sweep: fire every warning, breach and escalation whose time has come, exactly once.

Only cases whose `next_sla_check_at` has passed are read (an index range), so a sweep costs
what is due, not what is open. Each milestone is written with the time it should have
happened, and a unique (case, key) index turns a second attempt — a concurrent sweep, a
retry after a crash — into a no-op. This is the one module of `sla/` that touches the database.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.audit import record_once
from app.cases.deadlines import (
    NO_PAUSES,
    SLA_COLUMNS,
    SlaContext,
    case_policy,
    fired_keys,
    load_context,
    pauses_of,
    sla_fields,
    targets_met,
    write_sla_columns,
)
from app.db import utcnow, write_transaction
from app.due import lock_due
from app.models import Case, Notification
from app.vocabulary import EventType, NotificationChannel, NotificationKind
from sla.policy import Policy
from sla.timeline import Milestone, MilestoneKind, due
from sla.wording import overdue_text

log = logging.getLogger(__name__)

BATCH_SIZE = 500
RETRY_UNKNOWN_POLICY = timedelta(minutes=10)
SWEEP_ACTOR = {"actor": "sla", "role": "system"}
MILESTONE_EVENTS = {
    MilestoneKind.WARNING: EventType.SLA_WARNING,
    MilestoneKind.BREACHED: EventType.SLA_BREACHED,
    MilestoneKind.ESCALATED: EventType.SLA_ESCALATED,
}


@dataclass
class SweepReport:
    cases: int = 0
    fired: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        fired = ", ".join(f"{kind} {count}" for kind, count in sorted(self.fired.items())) or "nothing fired"
        return f"{self.cases} case(s) checked, {fired}"


def sweep(session: Session, *, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepReport:
    """Check every case that is due, a batch per transaction, until none is left."""
    now = now or utcnow()
    report = SweepReport()
    while True:
        with write_transaction(session):
            checked = _sweep_batch(session, now, batch_size, report)
        # Each batch moves every case it read past `now` (or fires what it must), so this ends.
        if checked < batch_size:
            return report


def _sweep_batch(session: Session, now: datetime, batch_size: int, report: SweepReport) -> int:
    due_ids, cases = lock_due(session, Case.next_sla_check_at, now=now, limit=batch_size)
    if not due_ids:
        return 0
    # The calendar as it stands now that these rows are locked: a typhoon day declared a moment
    # ago is in it, and no deadline it moved is written back.
    context = load_context(session)
    fired, pauses = fired_keys(session, due_ids), pauses_of(session, due_ids)
    updates: list[dict[str, Any]] = []
    for case in cases:
        policy = case_policy(session, case)
        if policy is None or case.sla_started_at is None:
            # Cannot happen through the services; keep the deadlines, say so, and look again later.
            log.error("case %s has no known SLA policy %s v%s", case.case_no, case.sla_policy, case.sla_policy_version)
            current = {name: getattr(case, name) for name in SLA_COLUMNS}
            updates.append({"case_id": case.id, **current, "next_sla_check_at": now + RETRY_UNKNOWN_POLICY})
            continue
        case_fired = fired.setdefault(case.id, set())
        case_pauses = pauses.get(case.id, NO_PAUSES)
        timeline, _, as_of = sla_fields(case, policy, context, now=now, pauses=case_pauses, fired=case_fired)
        for milestone in due(timeline, targets_met(case), as_of):
            key = milestone.key(case.sla_round)
            if key in case_fired:
                continue
            deadline = timeline.due_at(milestone.target)
            if _record(session, case, policy, milestone, key, deadline, now, context) is not None:
                report.fired[milestone.kind.value] += 1
            case_fired.add(key)  # recorded now or by a concurrent sweep: either way, done
        _, columns, _ = sla_fields(case, policy, context, now=now, pauses=case_pauses, fired=case_fired)
        updates.append({"case_id": case.id, **columns})
    write_sla_columns(session, updates)
    report.cases += len(cases)
    return len(due_ids)


def _record(
    session: Session,
    case: Case,
    policy: Policy,
    milestone: Milestone,
    key: str,
    deadline: datetime | None,
    now: datetime,
    context: SlaContext,
) -> int | None:
    """Write the milestone's event, stamped with when it should have happened; None if it already exists."""
    payload = {
        **SWEEP_ACTOR,
        "target": milestone.target.value,
        "deadline": deadline.astimezone(UTC).isoformat() if deadline else None,
        "policy": policy.key,
        "policy_version": case.sla_policy_version,
        "round": case.sla_round,
        "agency": case.agency.code if case.agency else None,
        "found_late_seconds": max(0, int((now - milestone.due_at).total_seconds())),
    }
    if milestone.kind is MilestoneKind.WARNING:
        payload["warning"] = milestone.number
    event_id = record_once(
        session,
        case.id,
        MILESTONE_EVENTS[milestone.kind],
        key=key,
        occurred_at=milestone.due_at,
        recorded_at=now,
        payload=payload,
        agency_id=case.agency_id,
    )
    if event_id is not None and milestone.kind is MilestoneKind.ESCALATED:
        _notify_supervisors(session, case, milestone, event_id, deadline, context)
    return event_id


def _notify_supervisors(
    session: Session, case: Case, milestone: Milestone, event_id: int, deadline: datetime | None, context: SlaContext
) -> None:
    """An SMS to each of the agency's supervisors; the centre's supervisors get their alert from the
    live feed, which raises it from the `sla_escalated` event (app/realtime/alerts.py)."""
    text = overdue_text(
        case_no=case.case_no,
        category_name_zh=case.category.name_zh,
        place=case.district.name_zh if case.district else None,
        target=milestone.target,
        deadline=deadline,
        tz=context.tz,
    )
    rows: list[dict[str, Any]] = [
        {
            "channel": NotificationChannel.SMS,
            "kind": NotificationKind.SLA_ESCALATION_SMS,
            "recipient": phone,
            "body": text,
        }
        for phone in (case.agency.supervisor_phones if case.agency else [])
    ]
    if not rows:
        return
    session.execute(
        insert(Notification),
        [{"case_id": case.id, "event_id": event_id, "next_attempt_at": milestone.due_at, **row} for row in rows],
    )

"""Lifecycle actions on an existing case: one function per action, one transaction each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import Actor, may_see
from app.alerting import alerts
from app.audit import record_assignment, record_event
from app.cases import deadlines, lifecycle
from app.cases import photos as photo_files
from app.cases.assignment import resolve_agency
from app.cases.lifecycle import Action
from app.db import utcnow, write_transaction
from app.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from app.models import Agency, Case, SlaPause
from app.reference import lookups
from app.settings_access import current_settings
from app.storage import FileStorage, current_storage
from app.vocabulary import OPEN_STATUSES, CaseStatus, EventType, NotificationKind, PhotoSource, ReportOutcome


def _locked_case(session: Session, actor: Actor, case_no: str) -> Case:
    case: Case | None = session.scalar(select(Case).where(Case.case_no == case_no).with_for_update(of=Case))
    if case is None or not may_see(actor, case):
        # Another agency's case is indistinguishable from a missing one.
        raise NotFound("case.not_found", case_no=case_no)
    return case


def _lock_in_id_order(session: Session, case_nos: list[str]) -> None:
    """Lock several cases lowest id first, so two merges in opposite directions cannot deadlock."""
    session.execute(select(Case.id).where(Case.case_no.in_(case_nos)).order_by(Case.id).with_for_update(of=Case)).all()


def _begin_action(session: Session, actor: Actor, case_no: str, version: int, action: Action) -> Case:
    """Load and lock the case, then refuse what this actor may not do to it now."""
    case = _locked_case(session, actor, case_no)
    try:
        lifecycle.check(action, status=case.status, case_type=case.case_type, role=actor.role)
    except lifecycle.TransitionRefused as refusal:
        if refusal.reason == "auth.forbidden":
            raise Forbidden("auth.forbidden", role=actor.role.value) from refusal
        if case.version != version:
            raise _stale(case, version) from refusal
        raise Conflict(
            refusal.reason,
            case_no=case_no,
            status=case.status.value,
            action=action.value,
            case_type=case.case_type.value,
        ) from refusal
    if case.version != version:
        raise _stale(case, version)
    return case


def _stale(case: Case, version: int) -> Conflict:
    return Conflict("case.stale_version", case_no=case.case_no, current=case.version, given=version)


def _touch(case: Case, now: datetime) -> None:
    case.updated_at = now


def assign_case(
    *,
    session: Session,
    actor: Actor,
    case_no: str,
    version: int,
    agency_code: str | None = None,
    now: datetime | None = None,
) -> Case:
    """Send the case to an agency: the one named, or the one the routing rules give."""
    now = now or utcnow()
    with write_transaction(session):
        case = _begin_action(session, actor, case_no, version, Action.ASSIGN)
        if agency_code:
            agency, reason = lookups.active_agency(session, agency_code), "manual"
        else:
            routed, decision = resolve_agency(session, case.category, case.district)
            if routed is None:
                raise InvalidInput(
                    "case.no_route", fields={"agency": [N_("field.required")]}, category=case.category.name_zh
                )
            agency, reason = routed, decision.reason.value
        route_to(session, case, actor=actor, agency=agency, reason=reason, now=now)
    return case


def route_to(session: Session, case: Case, *, actor: Actor, agency: Agency, reason: str, now: datetime) -> None:
    """Give a locked case to `agency` inside the caller's transaction: the assignment event, and for a first
    agency or a move (改分) a new SLA round and the dispatch alerts to the new agency."""
    previous = case.agency.code if case.agency else None
    previous_id = case.agency.id if case.agency else None
    moved = previous is not None and previous != agency.code
    # 改分: the time the case spent with the agency it is taken from, kept apart from the new one's.
    details = (
        {"time_with_previous_agency_seconds": int((now - case.assigned_at).total_seconds())}
        if moved and case.assigned_at
        else {}
    )
    case.agency, case.status, case.assigned_at, case.acknowledged_at = agency, CaseStatus.ASSIGNED, now, None
    _touch(case, now)
    record_assignment(
        session,
        case,
        actor=actor,
        occurred_at=now,
        agency_code=agency.code,
        previous_agency=previous,
        reason=reason,
        left_agency_id=previous_id if moved else None,
        **details,
    )
    # The first agency's clock runs from when the citizen called; an agency the case is moved to
    # (改分) gets a round of its own from now, so time spent elsewhere is not counted against it.
    # Assigning again to the same agency changes nothing on its clock.
    if previous is None or moved:
        alerts.stop_ladder(session, case, "the case was moved to another agency")
        deadlines.start_round(session, case, start=case.received_at if previous is None else now, now=now)
        alerts.alert_on_dispatch(session, case, actor=actor, now=now)
    else:
        deadlines.refresh(session, case, now=now)


def acknowledge_case(
    *,
    session: Session,
    actor: Actor,
    case_no: str,
    version: int,
    now: datetime | None = None,
    via: dict[str, str] | None = None,
) -> Case:
    """The agency confirms it has the case (收到); `via` says how when not at a console (SMS, keypress)."""
    now = now or utcnow()
    via = via or {}
    with write_transaction(session):
        case = _begin_action(session, actor, case_no, version, Action.ACKNOWLEDGE)
        case.status, case.acknowledged_at = CaseStatus.ACKNOWLEDGED, now
        _touch(case, now)
        record_event(session, case, EventType.CASE_ACKNOWLEDGED, actor=actor, occurred_at=now, **via)
        alerts.stop_ladder(session, case)
        deadlines.refresh(session, case, now=now)
    return case


def add_note(
    *, session: Session, actor: Actor, case_no: str, version: int, text: str, now: datetime | None = None
) -> Case:
    """A remark on the case's trail; the status does not change."""
    now = now or utcnow()
    with write_transaction(session):
        case = _begin_action(session, actor, case_no, version, Action.NOTE)
        _touch(case, now)
        record_event(session, case, EventType.NOTE_ADDED, actor=actor, occurred_at=now, text=text.strip())
    return case


def report_back(
    *,
    session: Session,
    actor: Actor,
    case_no: str,
    version: int,
    text: str,
    outcome: ReportOutcome | str = ReportOutcome.OTHER,
    photos: Sequence[photo_files.Upload] = (),
    storage: FileStorage | None = None,
    now: datetime | None = None,
) -> Case:
    """The agency's report of what it did (回報處理情形), with an outcome and up to five photos as proof;
    acknowledges too if it had not. The centre's closure review then accepts it (closing) or returns it."""
    now = now or utcnow()
    outcome = _outcome(outcome)
    # Another agency's case is 404 before anything about its photos is said.
    _visible(session, actor, case_no)
    prepared = photo_files.prepare(photos, tz=current_settings().timezone)
    with photo_files.stored(prepared, storage or current_storage(), now) as saved, write_transaction(session):
        case = _begin_action(session, actor, case_no, version, Action.REPORT)
        if case.acknowledged_at is None:
            case.acknowledged_at = now
            record_event(session, case, EventType.CASE_ACKNOWLEDGED, actor=actor, occurred_at=now, implied_by="report")
        _end_wait(session, case, now)
        case.status, case.reported_at, case.report_text = CaseStatus.REPORTED, now, text.strip()
        case.report_outcome = outcome.value
        _touch(case, now)
        event = record_event(
            session,
            case,
            EventType.CASE_REPORTED,
            actor=actor,
            occurred_at=now,
            text=case.report_text,
            outcome=outcome.value,
            photos=len(saved),
        )
        if saved:
            session.flush()  # the photos' rows name the event
            photo_files.add_rows(
                session, case, saved, source=PhotoSource.AGENCY_REPORT, actor=actor, event=event, now=now
            )
        alerts.stop_ladder(session, case, "the agency reported back")
        deadlines.refresh(session, case, now=now)
    return case


def _outcome(value: ReportOutcome | str) -> ReportOutcome:
    try:
        return ReportOutcome(value)
    except ValueError as error:
        raise InvalidInput("report.bad_outcome", fields={"outcome": [N_("report.bad_outcome")]}) from error


def _visible(session: Session, actor: Actor, case_no: str) -> None:
    """Refuse a case this actor may not see, reading only (before any work is done for the request)."""
    case = session.scalar(select(Case).where(Case.case_no == case_no))
    if case is None or not may_see(actor, case):
        raise NotFound("case.not_found", case_no=case_no)


def close_case(
    *, session: Session, actor: Actor, case_no: str, version: int, resolution: str, now: datetime | None = None
) -> Case:
    """結案: accepting the agency's report (the citizen is told the outcome), or at once for a consultation
    the centre answered."""
    now = now or utcnow()
    with write_transaction(session):
        case = _begin_action(session, actor, case_no, version, Action.CLOSE)
        accepted = case.status is CaseStatus.REPORTED  # 結案審核: the centre accepts the agency's report
        case.status, case.closed_at, case.resolution = CaseStatus.CLOSED, now, resolution.strip()
        _touch(case, now)
        record_event(
            session,
            case,
            EventType.CASE_CLOSED,
            actor=actor,
            occurred_at=now,
            resolution=case.resolution,
            **(
                {"accepted_report_at": case.reported_at.astimezone(UTC).isoformat()}
                if accepted and case.reported_at
                else {}
            ),
        )
        if accepted:
            # The citizen hears the outcome once the centre has accepted it, not when the agency first says so.
            alerts.text_citizen(
                session, case, kind=NotificationKind.CITIZEN_OUTCOME, body=alerts.citizen_outcome(case), now=now
            )
    return case


def reopen_case(
    *, session: Session, actor: Actor, case_no: str, version: int, reason: str, now: datetime | None = None
) -> Case:
    """Send a reported or closed case back for more work; its earlier steps stay in the trail."""
    now = now or utcnow()
    with write_transaction(session):
        case = _begin_action(session, actor, case_no, version, Action.REOPEN)
        previous = case.status
        case.reopened_at, case.closed_at = now, None
        send_back(
            session,
            case,
            actor=actor,
            now=now,
            event_type=EventType.CASE_REOPENED,
            reason=reason.strip(),
            previous_status=previous.value,
        )
    return case


def send_back(
    session: Session, case: Case, *, actor: Actor, now: datetime, event_type: EventType, **payload: Any
) -> None:
    """Back to work inside the caller's transaction (a reopening, a return by the centre): the event on the
    trail, and the case's agency gets a new round from now and is alerted as for a new dispatch (none: triage)."""
    case.status = lifecycle.reopened_status(has_agency=case.agency_id is not None)
    case.acknowledged_at, case.reported_at = None, None
    if case.agency_id is not None:
        # The agency's clock starts again from now, not from the first assignment.
        case.assigned_at = now
    _touch(case, now)
    record_event(session, case, event_type, actor=actor, occurred_at=now, **payload)
    if case.agency_id is not None:
        deadlines.start_round(session, case, start=now, now=now)
        alerts.alert_on_dispatch(session, case, actor=actor, now=now)


def merge_case(
    *,
    session: Session,
    actor: Actor,
    case_no: str,
    version: int,
    into_case_no: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> Case:
    """併案: the same matter reported twice; this case follows the one it is merged into."""
    now = now or utcnow()
    with write_transaction(session):
        _lock_in_id_order(session, [case_no, into_case_no])
        case = _begin_action(session, actor, case_no, version, Action.MERGE)
        if into_case_no == case_no:
            raise InvalidInput("case.merge_into_self", fields={"into": ["case.merge_into_self"]})
        target = _locked_case(session, actor, into_case_no)
        if target.status not in OPEN_STATUSES:
            raise Conflict("case.merge_target_closed", case_no=target.case_no, status=target.status.value)
        _end_wait(session, case, now)
        case.status, case.merged_at, case.parent_case = CaseStatus.MERGED, now, target
        _touch(case, now)
        _touch(target, now)
        record_event(
            session, case, EventType.CASE_MERGED, actor=actor, occurred_at=now, into=target.case_no, reason=reason
        )
        record_event(session, target, EventType.CASE_MERGE_RECEIVED, actor=actor, occurred_at=now, merged=case.case_no)
        alerts.stop_ladder(session, case, "the case was merged into another")
        deadlines.refresh(session, case, now=now)
    return case


def cancel_case(
    *, session: Session, actor: Actor, case_no: str, version: int, reason: str, now: datetime | None = None
) -> Case:
    """Withdraw a case recorded in error or withdrawn by the citizen; the reason is kept."""
    now = now or utcnow()
    with write_transaction(session):
        case = _begin_action(session, actor, case_no, version, Action.CANCEL)
        _end_wait(session, case, now)
        case.status, case.cancelled_at = CaseStatus.CANCELLED, now
        _touch(case, now)
        record_event(session, case, EventType.CASE_CANCELLED, actor=actor, occurred_at=now, reason=reason.strip())
        alerts.stop_ladder(session, case, "the case was cancelled")
        deadlines.refresh(session, case, now=now)
    return case


def wait_for_citizen(
    *, session: Session, actor: Actor, case_no: str, version: int, reason: str, now: datetime | None = None
) -> Case:
    """The agency needs something from the citizen: the SLA clock stops until the case resumes."""
    now = now or utcnow()
    with write_transaction(session):
        case = _begin_action(session, actor, case_no, version, Action.WAIT)
        session.add(SlaPause(case_id=case.id, started_at=now, reason=reason.strip(), started_by_id=actor.user_id))
        case.status = CaseStatus.WAITING_CITIZEN
        _touch(case, now)
        record_event(session, case, EventType.SLA_PAUSED, actor=actor, occurred_at=now, reason=reason.strip())
        deadlines.refresh(session, case, now=now)
    return case


def resume_case(*, session: Session, actor: Actor, case_no: str, version: int, now: datetime | None = None) -> Case:
    """The citizen answered: the clock runs on from where it stopped, deadlines later by the pause."""
    now = now or utcnow()
    with write_transaction(session):
        case = _begin_action(session, actor, case_no, version, Action.RESUME)
        paused = _end_wait(session, case, now)
        case.status = CaseStatus.ACKNOWLEDGED
        _touch(case, now)
        timeline = deadlines.refresh(session, case, now=now)
        record_event(
            session,
            case,
            EventType.SLA_RESUMED,
            actor=actor,
            occurred_at=now,
            paused_seconds=int((now - paused).total_seconds()) if paused else 0,
            report_due_at=timeline.report_due_at.astimezone(UTC).isoformat() if timeline else None,
        )
    return case


def _end_wait(session: Session, case: Case, now: datetime) -> datetime | None:
    """Close the case's open pause, if it has one; returns when that pause began."""
    pause = session.scalar(select(SlaPause).where(SlaPause.case_id == case.id, SlaPause.ended_at.is_(None)))
    if pause is None:
        return None
    pause.ended_at = now
    return pause.started_at

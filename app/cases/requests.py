"""An agency's requests to the centre and the supervisors' decisions: not ours (申請改分), more time (申請展延).

One function per step, one transaction each with its event on the case's trail. Payload keys are a contract
(the monthly report reads them): *_requested {request_id, reason, to_agency | report_due_at},
jurisdiction_approved {request_id, to_agency, reason}, extension_approved {request_id, previous_report_due_at,
report_due_at, reason}, *_refused {request_id, reason}. A refusal changes nothing on the case.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access import Actor, may_see
from app.audit import record_event
from app.cases import deadlines
from app.cases.actions import route_to
from app.db import utcnow, write_transaction
from app.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from app.models import Case, CaseRequest
from app.reference import lookups
from app.reference.cache import reference_cache
from app.vocabulary import CaseStatus, EventType, RequestKind, RequestState, Role
from sla.clock import remaining

REASON_MAX = 1000
DECIDERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
# While the agency holds the case: a re-route needs a case not waiting for the citizen (its clock is stopped).
_ASKABLE = {
    RequestKind.JURISDICTION: frozenset({CaseStatus.ASSIGNED, CaseStatus.ACKNOWLEDGED}),
    RequestKind.EXTENSION: frozenset({CaseStatus.ASSIGNED, CaseStatus.ACKNOWLEDGED, CaseStatus.WAITING_CITIZEN}),
}
JURISDICTION_REASON = "jurisdiction_request"  # the case_assigned event's reason after an approval


def askable(actor: Actor, case: Case) -> frozenset[RequestKind]:
    """The requests `actor` may make about `case` now: its agency's responders, while that agency holds it."""
    if actor.role is not Role.AGENCY or case.agency_id is None or case.agency_id != actor.agency_id:
        return frozenset()
    return frozenset(kind for kind, statuses in _ASKABLE.items() if case.status in statuses)


def is_current(request: CaseRequest, case: Case) -> bool:
    """The request is about the case as it stands: the agency that asked holds it, in the round it asked about."""
    return case.agency_id == request.agency_id and case.sla_round == request.sla_round


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def _reason(text: str | None, *, required: bool = True) -> str:
    cleaned = (text or "").strip()
    if required and not cleaned:
        raise InvalidInput("validation.failed", fields={"reason": [N_("field.required")]})
    if len(cleaned) > REASON_MAX:
        raise InvalidInput("validation.failed", fields={"reason": [N_("field.too_long")]}, max=REASON_MAX)
    return cleaned


def _agency_case(session: Session, actor: Actor, case_no: str, kind: RequestKind) -> Case:
    """The case locked, if the actor's agency holds it now and may ask this about it."""
    if actor.role is not Role.AGENCY:
        raise Forbidden("auth.forbidden", role=actor.role.value)
    case: Case | None = session.scalar(select(Case).where(Case.case_no == case_no).with_for_update(of=Case))
    if case is None or not may_see(actor, case) or case.agency_id != actor.agency_id:
        raise NotFound("case.not_found", case_no=case_no)  # another agency's case is a missing one
    if case.status not in _ASKABLE[kind]:
        raise Conflict("request.not_now", case_no=case_no, status=case.status.value)
    pending = session.scalar(
        select(func.count())
        .select_from(CaseRequest)
        .where(
            CaseRequest.case_id == case.id,
            CaseRequest.kind == kind.value,
            CaseRequest.state == RequestState.PENDING.value,
            CaseRequest.agency_id == case.agency_id,
            CaseRequest.sla_round == case.sla_round,
        )
    )
    if pending:
        raise Conflict("request.already_pending", case_no=case_no)
    return case


def _new_request(case: Case, actor: Actor, kind: RequestKind, reason: str, now: datetime) -> CaseRequest:
    assert case.agency_id is not None
    return CaseRequest(
        case_id=case.id,
        kind=kind.value,
        state=RequestState.PENDING.value,
        agency_id=case.agency_id,
        sla_round=case.sla_round,
        requested_by_id=actor.user_id,
        requested_at=now,
        reason=reason,
    )


def request_jurisdiction(
    *, session: Session, actor: Actor, case_no: str, to_agency: str, reason: str, now: datetime | None = None
) -> CaseRequest:
    """申請改分: the agency says the case is `to_agency`'s, and why."""
    now = now or utcnow()
    with write_transaction(session):
        cleaned = _reason(reason)
        case = _agency_case(session, actor, case_no, RequestKind.JURISDICTION)
        target = lookups.active_agency(session, to_agency.strip(), field="to_agency")
        if target.id == case.agency_id:
            raise InvalidInput("validation.failed", fields={"to_agency": [N_("request.same_agency")]})
        request = _new_request(case, actor, RequestKind.JURISDICTION, cleaned, now)
        request.to_agency_id = target.id
        session.add(request)
        session.flush()
        record_event(
            session,
            case,
            EventType.JURISDICTION_REQUESTED,
            actor=actor,
            occurred_at=now,
            request_id=request.id,
            reason=cleaned,
            to_agency=target.code,
        )
    return request


def request_extension(
    *, session: Session, actor: Actor, case_no: str, report_due_at: datetime, reason: str, now: datetime | None = None
) -> CaseRequest:
    """申請展延: a later report deadline, and why; it must be later than the one in force."""
    now = now or utcnow()
    with write_transaction(session):
        cleaned = _reason(reason)
        case = _agency_case(session, actor, case_no, RequestKind.EXTENSION)
        _check_extension(session, case, report_due_at, refusal=InvalidInput)
        request = _new_request(case, actor, RequestKind.EXTENSION, cleaned, now)
        request.report_due_at = report_due_at
        session.add(request)
        session.flush()
        record_event(
            session,
            case,
            EventType.EXTENSION_REQUESTED,
            actor=actor,
            occurred_at=now,
            request_id=request.id,
            reason=cleaned,
            report_due_at=_iso(report_due_at),
        )
    return request


def _check_extension(
    session: Session, case: Case, wanted: datetime, *, refusal: type[InvalidInput] | type[Conflict]
) -> timedelta:
    """The counting time the date adds to the report window; refused when it adds none or the report
    deadline has already been breached in this round (a breach on record is history)."""
    if case.report_due_at is None or case.sla_policy is None:
        raise Conflict("request.no_deadline", case_no=case.case_no)
    breached = f"{case.sla_round}:report:breached"
    if breached in deadlines.fired_keys(session, [case.id]).get(case.id, set()):
        raise Conflict("request.extension_after_breach", case_no=case.case_no)
    if wanted.tzinfo is None:
        raise InvalidInput("validation.failed", fields={"report_due_at": [N_("field.invalid")]})
    policy = deadlines.case_policy(session, case)
    if policy is None:
        raise Conflict("request.no_deadline", case_no=case.case_no)
    clock = deadlines.load_context(session).clock(policy.clock)
    extra = remaining(clock, case.report_due_at, wanted) if wanted > case.report_due_at else timedelta(0)
    if extra <= timedelta(0):
        raise refusal(
            "request.extension_not_later",
            fields={"report_due_at": [N_("request.extension_not_later")]},
            due=_iso(case.report_due_at),
        )
    return extra


def _pending(session: Session, actor: Actor, request_id: int, *, current: bool) -> tuple[CaseRequest, Case]:
    """The request and its case, both locked; decided already → 409, and when `current`, a request the case
    has moved on from (another agency, a new round) too."""
    if actor.role not in DECIDERS:
        raise Forbidden("auth.forbidden", role=actor.role.value)
    request = session.get(CaseRequest, request_id)
    if request is None:
        raise NotFound("request.not_found", request_id=request_id)
    case: Case | None = session.scalar(select(Case).where(Case.id == request.case_id).with_for_update(of=Case))
    session.refresh(request, with_for_update=True)  # after the case's lock: the state as it stands now
    assert case is not None
    if request.state != RequestState.PENDING.value:
        raise Conflict("request.already_decided", request_id=request_id, state=request.state)
    if current and not is_current(request, case):
        raise Conflict("request.outdated", request_id=request_id, case_no=case.case_no)
    return request, case


def _decide(request: CaseRequest, actor: Actor, state: RequestState, reason: str, now: datetime) -> None:
    request.state, request.decided_by_id, request.decided_at = state.value, actor.user_id, now
    request.decision_reason = reason


def approve_request(
    *, session: Session, actor: Actor, request_id: int, reason: str | None = None, now: datetime | None = None
) -> CaseRequest:
    """Grant the request: the case moves to the agency named (a new round there) or its report deadline moves."""
    now = now or utcnow()
    with write_transaction(session):
        cleaned = _reason(reason, required=False)
        request, case = _pending(session, actor, request_id, current=True)
        if case.status not in _ASKABLE[RequestKind(request.kind)]:
            raise Conflict("request.not_now", case_no=case.case_no, status=case.status.value)
        if request.kind == RequestKind.JURISDICTION.value:
            _approve_jurisdiction(session, actor, request, case, cleaned, now)
        else:
            _approve_extension(session, actor, request, case, cleaned, now)
        _decide(request, actor, RequestState.APPROVED, cleaned, now)
    return request


def _approve_jurisdiction(
    session: Session, actor: Actor, request: CaseRequest, case: Case, reason: str, now: datetime
) -> None:
    # The snapshot holds the active agencies only: one deactivated since it was named is not there.
    code = next(
        (code for code, row in reference_cache.snapshot(session).agencies.items() if row.id == request.to_agency_id),
        None,
    )
    if code is None:
        raise Conflict("request.agency_inactive", request_id=request.id)
    agency = lookups.active_agency(session, code)
    record_event(
        session,
        case,
        EventType.JURISDICTION_APPROVED,
        actor=actor,
        occurred_at=now,
        request_id=request.id,
        to_agency=agency.code,
        reason=reason,
    )
    route_to(session, case, actor=actor, agency=agency, reason=JURISDICTION_REASON, now=now)


def _approve_extension(
    session: Session, actor: Actor, request: CaseRequest, case: Case, reason: str, now: datetime
) -> None:
    assert request.report_due_at is not None
    previous = case.report_due_at
    # Checked again: a pause or a calendar change since the request may have moved the deadline past it.
    extra = _check_extension(session, case, request.report_due_at, refusal=Conflict)
    # Whole seconds, rounded up: the deadline lands on the date asked for or at most a second after it.
    seconds = (case.report_extension_seconds or 0) + math.ceil(extra.total_seconds())
    deadlines.set_report_extension(session, case, seconds)
    timeline = deadlines.refresh(session, case, now=now)
    record_event(
        session,
        case,
        EventType.EXTENSION_APPROVED,
        actor=actor,
        occurred_at=now,
        request_id=request.id,
        previous_report_due_at=_iso(previous),
        report_due_at=_iso(timeline.report_due_at if timeline else case.report_due_at),
        reason=reason,
    )


def refuse_request(
    *, session: Session, actor: Actor, request_id: int, reason: str, now: datetime | None = None
) -> CaseRequest:
    """Turn the request down, with a reason the agency will read; the case stays as it is."""
    now = now or utcnow()
    with write_transaction(session):
        cleaned = _reason(reason)
        request, case = _pending(session, actor, request_id, current=False)
        _decide(request, actor, RequestState.REFUSED, cleaned, now)
        refused = (
            EventType.JURISDICTION_REFUSED
            if request.kind == RequestKind.JURISDICTION.value
            else EventType.EXTENSION_REFUSED
        )
        record_event(session, case, refused, actor=actor, occurred_at=now, request_id=request.id, reason=cleaned)
    return request

"""An agency's requests to the centre: not ours (申請改分) and more time (申請展延), approved or refused.

An approved jurisdiction request moves the case and its alerts to the agency named with a round of its own;
an approved extension moves the report deadline on the case's own clock and keeps it moved; every bad input
is refused with nothing changed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.cases import actions, requests
from app.cases.counters import count_open_cases
from app.cases.sweep import sweep
from app.cases.wall import wall_lists
from app.db import db
from app.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from app.models import Agency, Case, CaseEvent, CaseRequest, Notification
from app.reference.cache import reference_cache
from app.reference.names import ReferenceNames
from app.vocabulary import NotificationKind, RequestKind
from tests.factories import Factory, case_state

TZ = ZoneInfo("Asia/Taipei")
# A Monday morning: the fallen tree's clock (24/7 acknowledgement, report within a day) starts here.
MORNING = datetime(2025, 3, 3, 9, 0, tzinfo=TZ)


def _fresh(case_no: str) -> Case:
    db.session.rollback()
    db.session.expire_all()
    case = db.session.scalar(select(Case).where(Case.case_no == case_no))
    assert case is not None
    return case


def _agency_id(code: str) -> int:
    found = db.session.scalar(select(Agency.id).where(Agency.code == code))
    assert found is not None
    return found


def _events(case: Case, event_type: str) -> list[dict]:
    return [
        payload
        for payload in db.session.scalars(
            select(CaseEvent.payload)
            .where(CaseEvent.case_id == case.id, CaseEvent.event_type == event_type)
            .order_by(CaseEvent.id)
        )
    ]


def _refused(error: type[DomainError], code: str | None, call, case_no: str) -> None:
    """The call is refused with `error` (and `code`), and the case and its trail are exactly as they were."""
    before = case_state(case_no)
    requests_before = db.session.execute(select(CaseRequest.id, CaseRequest.state).order_by(CaseRequest.id)).all()
    with pytest.raises(error) as raised:
        call()
    if code:
        assert raised.value.code == code
    db.session.rollback()
    assert case_state(case_no) == before
    assert db.session.execute(select(CaseRequest.id, CaseRequest.state).order_by(CaseRequest.id)).all() == (
        requests_before
    )


def test_an_approved_jurisdiction_request_moves_the_case_and_its_alerts(factory: Factory) -> None:
    case = factory.case(now=MORNING)
    responder = factory.user("agency", agency="PWD-MAINT").actor
    asked = requests.request_jurisdiction(
        session=db.session,
        actor=responder,
        case_no=case.case_no,
        to_agency="DO-FONGSHAN",
        reason="路樹在區公所管轄的公園內",
        now=MORNING + timedelta(minutes=5),
    )
    payload = _events(case, "jurisdiction_requested")[0]
    assert {k: payload[k] for k in ("request_id", "reason", "to_agency")} == {
        "request_id": asked.id,
        "reason": "路樹在區公所管轄的公園內",
        "to_agency": "DO-FONGSHAN",
    }
    assert _fresh(case.case_no).agency.code == "PWD-MAINT"  # nothing moves before a supervisor decides

    supervisor = factory.user("supervisor").actor
    requests.approve_request(
        session=db.session, actor=supervisor, request_id=asked.id, reason="同意", now=MORNING + timedelta(minutes=9)
    )
    moved = _fresh(case.case_no)
    assert moved.agency.code == "DO-FONGSHAN" and moved.status.value == "assigned" and moved.sla_round == 2
    approved = _events(case, "jurisdiction_approved")[0]
    assert {k: approved[k] for k in ("request_id", "to_agency", "reason")} == {
        "request_id": asked.id,
        "to_agency": "DO-FONGSHAN",
        "reason": "同意",
    }
    assigned = _events(case, "case_assigned")[-1]
    assert assigned["reason"] == "jurisdiction_request" and assigned["previous_agency"] == "PWD-MAINT"
    # The dispatch SMS goes to the new agency's duty phone.
    sms = db.session.scalars(
        select(Notification.recipient).where(
            Notification.case_id == case.id, Notification.kind == NotificationKind.DISPATCH_SMS.value
        )
    ).all()
    assert "+886912100112" in sms
    assert db.session.get(CaseRequest, asked.id).state == "approved"


def test_counters_show_the_old_agencys_breach_and_the_new_round_after_an_approved_request(factory: Factory) -> None:
    night = datetime(2025, 3, 3, 23, 50, tzinfo=TZ)
    case = factory.case(now=night)
    sweep(db.session, now=night + timedelta(hours=1))  # the acknowledgement was missed: breached
    asked = requests.request_jurisdiction(
        session=db.session,
        actor=factory.user("agency", agency="PWD-MAINT").actor,
        case_no=case.case_no,
        to_agency="DO-FONGSHAN",
        reason="不是本處的",
        now=night + timedelta(hours=1, minutes=1),
    )
    requests.approve_request(
        session=db.session,
        actor=factory.user("supervisor").actor,
        request_id=asked.id,
        now=night + timedelta(hours=1, minutes=2),
    )
    db.session.expire_all()
    counts = {row.agency: row for row in count_open_cases(db.session, ReferenceNames.load(db.session))}
    assert counts["PWD-MAINT"].breached == 1 and counts["PWD-MAINT"].breached_moved_away == 1
    assert counts["PWD-MAINT"].open == 0
    assert counts["DO-FONGSHAN"].open == 1 and counts["DO-FONGSHAN"].breached == 0
    assert _fresh(case.case_no).sla_stage == "on_track"
    # The wall: the breach on the first agency's record, and not (yet) among the new round's breaches.
    wall = wall_lists(session=db.session)
    earlier = [(row.case.case_no, row.breached_by_id) for row in wall.breached_earlier.rows]
    assert earlier == [(case.case_no, _agency_id("PWD-MAINT"))]
    assert case.case_no not in [row.case_no for row in wall.breached.rows]
    # The new agency then misses its own acknowledgement: both show, each for its own agency.
    sweep(db.session, now=night + timedelta(hours=2, minutes=30))
    wall = wall_lists(session=db.session)
    assert [row.case_no for row in wall.breached.rows] == [case.case_no]
    assert [row.breached_by_id for row in wall.breached_earlier.rows] == [_agency_id("PWD-MAINT")]


def test_an_approved_extension_moves_the_report_deadline_and_it_stays_moved(factory: Factory) -> None:
    case = factory.case(now=MORNING)
    responder = factory.user("agency", agency="PWD-MAINT").actor
    actions.acknowledge_case(
        session=db.session, actor=responder, case_no=case.case_no, version=case.version, now=MORNING
    )
    before = _fresh(case.case_no).report_due_at
    assert before is not None
    wanted = before + timedelta(days=2)
    asked = requests.request_extension(
        session=db.session,
        actor=responder,
        case_no=case.case_no,
        report_due_at=wanted,
        reason="需調派吊車",
        now=MORNING + timedelta(hours=1),
    )
    requested = _events(case, "extension_requested")[0]
    assert requested["report_due_at"] == wanted.astimezone(UTC).isoformat() and requested["request_id"] == asked.id
    requests.approve_request(
        session=db.session,
        actor=factory.user("supervisor").actor,
        request_id=asked.id,
        now=MORNING + timedelta(hours=2),
    )
    extended = _fresh(case.case_no)
    assert extended.report_due_at == wanted
    approved = _events(case, "extension_approved")[0]
    assert {k: approved[k] for k in ("request_id", "previous_report_due_at", "report_due_at", "reason")} == {
        "request_id": asked.id,
        "previous_report_due_at": before.astimezone(UTC).isoformat(),
        "report_due_at": wanted.astimezone(UTC).isoformat(),
        "reason": "",
    }
    # A pause and a resume later, the deadline is the extended one moved by the pause, not the policy's.
    actions.wait_for_citizen(
        session=db.session,
        actor=responder,
        case_no=case.case_no,
        version=extended.version,
        reason="等民眾提供照片",
        now=MORNING + timedelta(hours=3),
    )
    actions.resume_case(
        session=db.session,
        actor=responder,
        case_no=case.case_no,
        version=_fresh(case.case_no).version,
        now=MORNING + timedelta(hours=5),
    )
    assert _fresh(case.case_no).report_due_at == wanted + timedelta(hours=2)
    # The sweep does not put it back either.
    sweep(db.session, now=before + timedelta(hours=1))
    resumed = _fresh(case.case_no)
    assert resumed.report_due_at == wanted + timedelta(hours=2) and resumed.sla_stage != "breached"


def test_a_new_round_after_a_reroute_drops_the_extension(factory: Factory) -> None:
    case = factory.case(now=MORNING)
    responder = factory.user("agency", agency="PWD-MAINT").actor
    supervisor = factory.user("supervisor").actor
    due = _fresh(case.case_no).report_due_at
    assert due is not None
    asked = requests.request_extension(
        session=db.session, actor=responder, case_no=case.case_no, report_due_at=due + timedelta(days=3), reason="x"
    )
    requests.approve_request(session=db.session, actor=supervisor, request_id=asked.id)
    moved = actions.assign_case(
        session=db.session,
        actor=supervisor,
        case_no=case.case_no,
        version=_fresh(case.case_no).version,
        agency_code="DO-FONGSHAN",
        now=MORNING + timedelta(hours=1),
    )
    fresh = _fresh(moved.case_no)
    assert fresh.report_extension_seconds == 0
    assert fresh.report_due_at is not None and fresh.report_due_at < due + timedelta(days=2)


def test_a_refusal_changes_nothing_on_the_case_and_needs_a_reason(factory: Factory) -> None:
    case = factory.case(now=MORNING)
    responder = factory.user("agency", agency="PWD-MAINT").actor
    supervisor = factory.user("supervisor").actor
    asked = requests.request_jurisdiction(
        session=db.session, actor=responder, case_no=case.case_no, to_agency="DO-FONGSHAN", reason="不是本處的"
    )
    _refused(
        InvalidInput,
        "validation.failed",
        lambda: requests.refuse_request(session=db.session, actor=supervisor, request_id=asked.id, reason="  "),
        case.case_no,
    )
    before = _fresh(case.case_no)
    state = (before.agency_id, before.status, before.version, before.sla_round, before.report_due_at)
    requests.refuse_request(session=db.session, actor=supervisor, request_id=asked.id, reason="依規定屬養工處")
    after = _fresh(case.case_no)
    assert (after.agency_id, after.status, after.version, after.sla_round, after.report_due_at) == state
    assert _events(case, "jurisdiction_refused")[0]["reason"] == "依規定屬養工處"
    assert _events(case, "jurisdiction_refused")[0]["request_id"] == asked.id
    # Deciding it again, either way, is a conflict.
    _refused(
        Conflict,
        "request.already_decided",
        lambda: requests.approve_request(session=db.session, actor=supervisor, request_id=asked.id),
        case.case_no,
    )
    _refused(
        Conflict,
        "request.already_decided",
        lambda: requests.refuse_request(session=db.session, actor=supervisor, request_id=asked.id, reason="再拒"),
        case.case_no,
    )


def test_an_extension_refused_leaves_the_deadline(factory: Factory) -> None:
    case = factory.case(now=MORNING)
    due = _fresh(case.case_no).report_due_at
    assert due is not None
    asked = requests.request_extension(
        session=db.session,
        actor=factory.user("agency", agency="PWD-MAINT").actor,
        case_no=case.case_no,
        report_due_at=due + timedelta(days=1),
        reason="x",
    )
    requests.refuse_request(
        session=db.session, actor=factory.user("supervisor").actor, request_id=asked.id, reason="不准"
    )
    after = _fresh(case.case_no)
    assert after.report_due_at == due and after.report_extension_seconds == 0
    assert _events(case, "extension_refused")[0] == {**_events(case, "extension_refused")[0], "reason": "不准"}


def test_bad_requests_are_refused_with_nothing_changed(factory: Factory) -> None:
    case = factory.case(now=MORNING)
    ours = factory.user("agency", agency="PWD-MAINT").actor
    theirs = factory.user("agency", agency="EPB").actor
    due = _fresh(case.case_no).report_due_at
    assert due is not None

    def extension(actor, when, reason="需要更多時間"):
        return lambda: requests.request_extension(
            session=db.session, actor=actor, case_no=case.case_no, report_due_at=when, reason=reason
        )

    def jurisdiction(actor, to="DO-FONGSHAN", reason="不是本處的"):
        return lambda: requests.request_jurisdiction(
            session=db.session, actor=actor, case_no=case.case_no, to_agency=to, reason=reason
        )

    # Another agency's case is a missing case.
    _refused(NotFound, "case.not_found", extension(theirs, due + timedelta(days=1)), case.case_no)
    _refused(NotFound, "case.not_found", jurisdiction(theirs), case.case_no)
    # The centre does not ask itself.
    _refused(Forbidden, None, jurisdiction(factory.user("supervisor").actor), case.case_no)
    # A date not later than the deadline in force, or no reason, or naming itself, or an unknown agency.
    _refused(InvalidInput, "request.extension_not_later", extension(ours, due), case.case_no)
    _refused(InvalidInput, "request.extension_not_later", extension(ours, due - timedelta(hours=1)), case.case_no)
    _refused(InvalidInput, "validation.failed", extension(ours, due + timedelta(days=1), reason=""), case.case_no)
    _refused(InvalidInput, "validation.failed", jurisdiction(ours, to="PWD-MAINT"), case.case_no)
    _refused(InvalidInput, "validation.failed", jurisdiction(ours, to="NOPE"), case.case_no)
    # One pending request of a kind per case.
    extension(ours, due + timedelta(days=1))()
    _refused(Conflict, "request.already_pending", extension(ours, due + timedelta(days=2)), case.case_no)
    jurisdiction(ours)()
    _refused(Conflict, "request.already_pending", jurisdiction(ours, to="EPB"), case.case_no)
    # An agency does not decide requests.
    pending = db.session.scalars(select(CaseRequest.id)).all()
    _refused(
        Forbidden,
        None,
        lambda: requests.approve_request(session=db.session, actor=ours, request_id=pending[0]),
        case.case_no,
    )


def test_a_request_the_case_has_moved_on_from_cannot_be_approved(factory: Factory) -> None:
    case = factory.case(now=MORNING)
    supervisor = factory.user("supervisor").actor
    due = _fresh(case.case_no).report_due_at
    assert due is not None
    asked = requests.request_extension(
        session=db.session,
        actor=factory.user("agency", agency="PWD-MAINT").actor,
        case_no=case.case_no,
        report_due_at=due + timedelta(days=1),
        reason="x",
    )
    actions.assign_case(
        session=db.session,
        actor=supervisor,
        case_no=case.case_no,
        version=_fresh(case.case_no).version,
        agency_code="DO-FONGSHAN",
    )
    _refused(
        Conflict,
        "request.outdated",
        lambda: requests.approve_request(session=db.session, actor=supervisor, request_id=asked.id),
        case.case_no,
    )


def test_only_the_holding_agencys_responders_may_ask_and_only_what_the_status_allows(factory: Factory) -> None:
    case = factory.case(now=MORNING)
    responder = factory.user("agency", agency=case.agency.code).actor
    assert requests.askable(responder, case) == {RequestKind.JURISDICTION, RequestKind.EXTENSION}
    assert requests.askable(factory.user("agency", agency="EPB").actor, case) == set()
    assert requests.askable(factory.user("supervisor").actor, case) == set()  # decides, never asks
    case = actions.acknowledge_case(
        session=db.session, actor=responder, case_no=case.case_no, version=case.version, now=MORNING
    )
    case = actions.wait_for_citizen(
        session=db.session, actor=responder, case_no=case.case_no, version=case.version, reason="補照片", now=MORNING
    )
    assert requests.askable(responder, case) == {RequestKind.EXTENSION}
    _refused(
        Conflict,
        "request.not_now",
        lambda: requests.request_jurisdiction(
            session=db.session, actor=responder, case_no=case.case_no, to_agency="EPB", reason="非本局業管"
        ),
        case.case_no,
    )


def test_a_request_naming_an_agency_deactivated_since_is_refused_and_changes_nothing(factory: Factory) -> None:
    case = factory.case(now=MORNING)
    asked = requests.request_jurisdiction(
        session=db.session,
        actor=factory.user("agency", agency="PWD-MAINT").actor,
        case_no=case.case_no,
        to_agency="EPB",
        reason="非本處業管",
    )
    supervisor = factory.user("supervisor").actor
    epb = db.session.scalar(select(Agency).where(Agency.code == "EPB"))
    assert epb is not None
    epb.active = False
    db.session.commit()
    reference_cache.clear()
    try:
        _refused(
            Conflict,
            "request.agency_inactive",
            lambda: requests.approve_request(session=db.session, actor=supervisor, request_id=asked.id),
            case.case_no,
        )
    finally:
        epb = db.session.scalar(select(Agency).where(Agency.code == "EPB"))
        assert epb is not None
        epb.active = True
        db.session.commit()
        reference_cache.clear()

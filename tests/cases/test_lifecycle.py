"""The lifecycle: each action moves a case as the centre expects, and refuses what it should."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.cases import actions, review
from app.cases.lifecycle import TRANSITIONS, Action
from app.db import db
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.models import Case, CaseEvent
from app.vocabulary import CaseStatus
from tests.factories import Factory, case_state


def _event_types(case: Case) -> list[str]:
    rows = db.session.scalars(select(CaseEvent.event_type).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
    return list(rows)


def test_dispatch_from_intake_to_closed(factory: Factory) -> None:
    agent = factory.agent.actor
    responder = factory.user("agency", agency="PWD-MAINT").actor
    case = factory.case()
    case = actions.acknowledge_case(session=db.session, actor=responder, case_no=case.case_no, version=case.version)
    assert case.status is CaseStatus.ACKNOWLEDGED and case.acknowledged_at is not None
    case = actions.report_back(
        session=db.session,
        actor=responder,
        case_no=case.case_no,
        version=case.version,
        text="已派員移除倒樹，車道恢復通行",
    )
    assert case.status is CaseStatus.REPORTED and case.report_text == "已派員移除倒樹，車道恢復通行"
    case = actions.close_case(
        session=db.session, actor=agent, case_no=case.case_no, version=case.version, resolution="已電話告知陳情人"
    )
    assert case.status is CaseStatus.CLOSED and case.closed_at is not None
    assert _event_types(case) == ["case_created", "case_assigned", "case_acknowledged", "case_reported", "case_closed"]


def test_report_without_acknowledgement_acknowledges_too(factory: Factory) -> None:
    responder = factory.user("agency", agency="PWD-MAINT").actor
    case = factory.case()
    case = actions.report_back(
        session=db.session, actor=responder, case_no=case.case_no, version=case.version, text="已處理"
    )
    assert case.acknowledged_at == case.reported_at
    assert _event_types(case)[-2:] == ["case_acknowledged", "case_reported"]


def test_reopen_sends_the_case_back_to_its_agency(factory: Factory) -> None:
    responder = factory.user("agency", agency="PWD-MAINT").actor
    agent = factory.agent.actor
    case = factory.case()
    case = actions.report_back(
        session=db.session, actor=responder, case_no=case.case_no, version=case.version, text="已處理"
    )
    case = actions.reopen_case(
        session=db.session, actor=agent, case_no=case.case_no, version=case.version, reason="陳情人表示樹仍在路上"
    )
    assert case.status is CaseStatus.ASSIGNED
    assert case.reported_at is None and case.reopened_at is not None
    # The agency's time runs from the reopening, not from the first assignment.
    assert case.assigned_at == case.reopened_at
    assert _event_types(case)[-1] == "case_reopened"


def test_reassign_to_another_agency_records_both(factory: Factory) -> None:
    case = factory.case()
    case = actions.assign_case(
        session=db.session,
        actor=factory.agent.actor,
        case_no=case.case_no,
        version=case.version,
        agency_code="DO-FONGSHAN",
    )
    assert case.agency is not None and case.agency.code == "DO-FONGSHAN"
    event = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())
    ).first()
    assert event is not None
    assert event.payload["previous_agency"] == "PWD-MAINT" and event.payload["reason"] == "manual"


def test_assign_by_rules_when_no_agency_named(factory: Factory) -> None:
    case = factory.case(category_code="general_inquiry", district_code=None, description="問題")
    with pytest.raises(InvalidInput) as refusal:
        actions.assign_case(session=db.session, actor=factory.agent.actor, case_no=case.case_no, version=case.version)
    assert refusal.value.code == "case.no_route"
    assert case.status is CaseStatus.NEW


def test_merge_links_the_duplicate_to_the_open_case(factory: Factory) -> None:
    first, second = factory.case(), factory.case(description="光復路上有樹倒了")
    merged = actions.merge_case(
        session=db.session,
        actor=factory.agent.actor,
        case_no=second.case_no,
        version=second.version,
        into_case_no=first.case_no,
        reason="同一棵樹",
    )
    assert merged.status is CaseStatus.MERGED and merged.parent_case_id == first.id
    assert _event_types(first)[-1] == "case_merge_received"
    assert _event_types(merged)[-1] == "case_merged"


def test_merge_into_itself_or_a_closed_case_is_refused(factory: Factory) -> None:
    agent = factory.agent.actor
    case = factory.case()
    closed = factory.case(category_code="general_inquiry", district_code=None, description="問", answer="答")
    with pytest.raises(InvalidInput):
        actions.merge_case(
            session=db.session, actor=agent, case_no=case.case_no, version=case.version, into_case_no=case.case_no
        )
    with pytest.raises(Conflict) as refusal:
        actions.merge_case(
            session=db.session, actor=agent, case_no=case.case_no, version=case.version, into_case_no=closed.case_no
        )
    assert refusal.value.code == "case.merge_target_closed"
    assert db.session.get(Case, case.id).status is CaseStatus.ASSIGNED  # type: ignore[union-attr]


def test_cancel_keeps_the_reason(factory: Factory) -> None:
    case = factory.case()
    case = actions.cancel_case(
        session=db.session, actor=factory.agent.actor, case_no=case.case_no, version=case.version, reason="陳情人撤回"
    )
    assert case.status is CaseStatus.CANCELLED
    event = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())
    ).first()
    assert event is not None and event.payload["reason"] == "陳情人撤回"


def test_notes_are_allowed_on_closed_cases(factory: Factory) -> None:
    case = factory.case(category_code="general_inquiry", district_code=None, description="問", answer="答")
    case = actions.add_note(
        session=db.session,
        actor=factory.agent.actor,
        case_no=case.case_no,
        version=case.version,
        text="陳情人再次來電致謝",
    )
    assert case.status is CaseStatus.CLOSED
    assert _event_types(case)[-1] == "note_added"


def test_a_petition_cannot_close_before_the_agency_reports(factory: Factory) -> None:
    case = factory.case(category_code="general_inquiry", district_code=None, description="問")
    petition = factory.case(category_code="noise", district_code="sanmin", description="夜間施工噪音")
    # A consultation may close from "new"...
    actions.close_case(
        session=db.session, actor=factory.agent.actor, case_no=case.case_no, version=case.version, resolution="已答覆"
    )
    # ...a petition is already with its agency and must wait for the report.
    with pytest.raises(Conflict):
        actions.close_case(
            session=db.session,
            actor=factory.agent.actor,
            case_no=petition.case_no,
            version=petition.version,
            resolution="結案",
        )


# Every (action, status) pair the table does not allow, reached through real cases.
def _case_in(factory: Factory, status: CaseStatus) -> Case:
    agent, responder = factory.agent.actor, factory.user("agency", agency="PWD-MAINT").actor
    if status is CaseStatus.NEW:
        return factory.case(category_code="general_inquiry", district_code=None, description="問")
    case = factory.case()
    steps = {
        CaseStatus.ASSIGNED: [],
        CaseStatus.ACKNOWLEDGED: [(actions.acknowledge_case, responder, {})],
        CaseStatus.WAITING_CITIZEN: [
            (actions.acknowledge_case, responder, {}),
            (actions.wait_for_citizen, responder, {"reason": "等候民眾提供照片"}),
        ],
        CaseStatus.REPORTED: [(actions.report_back, responder, {"text": "已處理"})],
        CaseStatus.CLOSED: [
            (actions.report_back, responder, {"text": "已處理"}),
            (actions.close_case, agent, {"resolution": "結案"}),
        ],
        CaseStatus.MERGED: [(actions.merge_case, agent, {"into_case_no": factory.case().case_no})],
        CaseStatus.CANCELLED: [(actions.cancel_case, agent, {"reason": "撤回"})],
    }[status]
    for step, actor, extra in steps:
        case = step(session=db.session, actor=actor, case_no=case.case_no, version=case.version, **extra)
    assert case.status is status
    return case


_ARGUMENTS = {
    Action.ASSIGN: {"agency_code": "PWD-MAINT"},
    Action.ACKNOWLEDGE: {},
    Action.NOTE: {"text": "x"},
    Action.REPORT: {"text": "x"},
    Action.CLOSE: {"resolution": "x"},
    Action.REOPEN: {"reason": "x"},
    Action.MERGE: {"into_case_no": "0000000-0000"},
    Action.CANCEL: {"reason": "x"},
    Action.WAIT: {"reason": "x"},
    Action.RESUME: {},
    Action.RETURN: {"reason": "x"},
}
_SERVICES = {
    Action.ASSIGN: actions.assign_case,
    Action.ACKNOWLEDGE: actions.acknowledge_case,
    Action.NOTE: actions.add_note,
    Action.REPORT: actions.report_back,
    Action.CLOSE: actions.close_case,
    Action.REOPEN: actions.reopen_case,
    Action.MERGE: actions.merge_case,
    Action.CANCEL: actions.cancel_case,
    Action.WAIT: actions.wait_for_citizen,
    Action.RESUME: actions.resume_case,
    Action.RETURN: review.return_case,
}
ILLEGAL = [
    (action, status) for action in Action for status in CaseStatus if status not in TRANSITIONS[action].allowed_from
]


@pytest.mark.parametrize(("action", "status"), ILLEGAL, ids=[f"{a.value}-from-{s.value}" for a, s in ILLEGAL])
def test_illegal_transitions_are_refused_and_change_nothing(
    factory: Factory, action: Action, status: CaseStatus
) -> None:
    case = _case_in(factory, status)
    events_before = _event_types(case)
    supervisor = factory.user("supervisor").actor
    with pytest.raises(Conflict) as refusal:
        _SERVICES[action](
            session=db.session, actor=supervisor, case_no=case.case_no, version=case.version, **_ARGUMENTS[action]
        )
    assert refusal.value.code == "case.illegal_transition"
    db.session.expire_all()
    reloaded = db.session.get(Case, case.id)
    assert reloaded is not None and reloaded.status is status and reloaded.version == case.version
    assert _event_types(case) == events_before


def test_stale_version_is_refused(factory: Factory) -> None:
    case = factory.case()
    agent, version_read = factory.agent.actor, case.version
    actions.add_note(session=db.session, actor=agent, case_no=case.case_no, version=version_read, text="第一位")
    before = case_state(case.case_no)
    with pytest.raises(Conflict) as refusal:
        actions.add_note(session=db.session, actor=agent, case_no=case.case_no, version=version_read, text="第二位")
    assert refusal.value.code == "case.stale_version"
    assert refusal.value.params["current"] == version_read + 1
    assert case_state(case.case_no) == before


def test_agency_cannot_touch_another_agencys_case(factory: Factory) -> None:
    case = factory.case()
    other = factory.user("agency", agency="WRB").actor
    before = case_state(case.case_no)
    with pytest.raises(NotFound):
        actions.acknowledge_case(session=db.session, actor=other, case_no=case.case_no, version=case.version)
    assert case_state(case.case_no) == before


def test_agency_cannot_close_or_cancel(factory: Factory) -> None:
    case = factory.case()
    responder = factory.user("agency", agency="PWD-MAINT").actor
    case = actions.report_back(
        session=db.session, actor=responder, case_no=case.case_no, version=case.version, text="已處理"
    )
    before = case_state(case.case_no)
    with pytest.raises(Forbidden):
        actions.close_case(
            session=db.session, actor=responder, case_no=case.case_no, version=case.version, resolution="x"
        )
    assert case_state(case.case_no) == before
    other = factory.case()
    other_before = case_state(other.case_no)
    with pytest.raises(Forbidden):
        actions.cancel_case(
            session=db.session, actor=responder, case_no=other.case_no, version=other.version, reason="x"
        )
    assert case_state(other.case_no) == other_before


def test_mayor_office_is_read_only(factory: Factory) -> None:
    case = factory.case()
    mayor = factory.user("mayor_office").actor
    before = case_state(case.case_no)
    with pytest.raises(Forbidden):
        actions.add_note(session=db.session, actor=mayor, case_no=case.case_no, version=case.version, text="x")
    assert case_state(case.case_no) == before

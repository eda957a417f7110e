"""Bulk actions for a surge: each case in its own transaction, one event each, a case changed meanwhile refused
on its own with the reason. A dead alert answered by a call by hand leaves the wall, once per alert."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from app.cases import actions, bulk, dead_alerts
from app.cases.wall import wall_lists
from app.db import db
from app.errors import Conflict, Forbidden, NotFound
from app.models import Case, CaseEvent, Notification
from app.vocabulary import CaseStatus, NotificationKind, NotificationStatus
from tests.factories import Factory, case_state


def _events(case_id: int, event_type: str) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(CaseEvent)
            .where(CaseEvent.case_id == case_id, CaseEvent.event_type == event_type)
        )
        or 0
    )


def test_a_bulk_merge_merges_each_case_on_its_own_and_says_why_for_one_changed_meanwhile(factory: Factory) -> None:
    cases = [factory.case(address=f"鳳山區中山東路{n}號") for n in range(1, 6)]
    seen = [bulk.Seen(case.case_no, case.version) for case in cases]
    # Meanwhile the agency acknowledged the fourth: the version the supervisor saw is stale.
    actions.acknowledge_case(
        session=db.session,
        actor=factory.user("agency", agency="PWD-MAINT").actor,
        case_no=cases[3].case_no,
        version=cases[3].version,
    )
    before = case_state(cases[3].case_no)
    outcomes = bulk.bulk_merge(
        session=db.session,
        actor=factory.user("supervisor").actor,
        parent_case_no=cases[0].case_no,
        cases=seen,
        reason="颱風同一路段",
    )
    assert [(o.case_no, o.done, o.code) for o in outcomes] == [
        (cases[1].case_no, True, ""),
        (cases[2].case_no, True, ""),
        (cases[3].case_no, False, "case.stale_version"),
        (cases[4].case_no, True, ""),
    ]
    db.session.expire_all()
    statuses = {case.case_no: db.session.get(Case, case.id).status for case in cases}  # type: ignore[union-attr]
    assert statuses[cases[0].case_no] is CaseStatus.ASSIGNED
    assert [statuses[c.case_no] for c in (cases[1], cases[2], cases[4])] == [CaseStatus.MERGED] * 3
    assert case_state(cases[3].case_no) == before  # nothing half done on the refused one
    assert _events(cases[0].id, "case_merge_received") == 3
    assert all(_events(c.id, "case_merged") == 1 for c in (cases[1], cases[2], cases[4]))


def test_bulk_close_refuses_each_case_that_cannot_close_and_closes_the_rest(factory: Factory) -> None:
    open_one = factory.case()
    answered = factory.case(category_code="general_inquiry", district_code=None, description="想問補助")
    outcomes = bulk.bulk_close(
        session=db.session,
        actor=factory.user("supervisor").actor,
        cases=[bulk.Seen(open_one.case_no, open_one.version), bulk.Seen(answered.case_no, answered.version)],
        text="颱風後統一說明",
    )
    assert [(o.done, o.code) for o in outcomes] == [(False, "case.illegal_transition"), (True, "")]


def _dead(case: Case) -> list[int]:
    db.session.execute(
        update(Notification)
        .where(Notification.case_id == case.id, Notification.kind == NotificationKind.DISPATCH_SMS.value)
        .values(status=NotificationStatus.DEAD)
    )
    db.session.commit()
    return list(
        db.session.scalars(
            select(Notification.id)
            .where(Notification.case_id == case.id, Notification.status == NotificationStatus.DEAD)
            .order_by(Notification.id)
        )
    )


def test_a_call_by_hand_takes_a_dead_alert_off_the_wall_once(factory: Factory) -> None:
    case = factory.case()
    dead = _dead(case)
    supervisor = factory.user("supervisor").actor
    assert wall_lists(session=db.session).dead_alerts.total == 2
    event = dead_alerts.record_agency_call(
        session=db.session, actor=supervisor, notification_id=dead[0], note="值班王先生接聽"
    )
    assert event.event_type == "agency_called"
    assert {k: event.payload[k] for k in ("notification_id", "note")} == {
        "notification_id": dead[0],
        "note": "值班王先生接聽",
    }
    remaining = wall_lists(session=db.session).dead_alerts
    assert remaining.total == 1 and [row.notification.id for row in remaining.rows] == [dead[1]]
    before = case_state(case.case_no)
    with pytest.raises(Conflict) as twice:
        dead_alerts.record_agency_call(session=db.session, actor=supervisor, notification_id=dead[0], note="")
    assert twice.value.code == "alert.already_called"
    with pytest.raises(NotFound):
        dead_alerts.record_agency_call(session=db.session, actor=supervisor, notification_id=999999, note="")
    with pytest.raises(Forbidden):
        dead_alerts.record_agency_call(
            session=db.session, actor=factory.user("agency", agency="PWD-MAINT").actor, notification_id=dead[1], note=""
        )
    db.session.rollback()
    assert case_state(case.case_no) == before


def test_an_alert_that_did_not_fail_needs_no_call(factory: Factory) -> None:
    case = factory.case()
    pending = db.session.scalar(select(Notification.id).where(Notification.case_id == case.id))
    assert pending is not None
    before = case_state(case.case_no)
    with pytest.raises(Conflict) as refusal:
        dead_alerts.record_agency_call(
            session=db.session, actor=factory.user("supervisor").actor, notification_id=pending, note=""
        )
    assert refusal.value.code == "alert.not_dead"
    assert case_state(case.case_no) == before

"""Which alert each event raises, for whom: the pure rules, for every kind and audience."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.realtime.alerts import ALERT_TTL, Alert, AlertCase, AlertEvent, alerts_for
from app.vocabulary import Room

TZ = ZoneInfo("Asia/Taipei")
NOW = datetime(2025, 3, 3, 4, 0, tzinfo=UTC)
TREE = AlertCase(
    case_no="1140303-0001",
    status="assigned",
    agency="PWD-MAINT",
    category="fallen_tree",
    category_name_zh="路樹傾倒",
    district="fongshan",
    district_name_zh="鳳山區",
    address="鳳山區光復路二段132號",
)
PLACE = {"case_no": TREE.case_no, "category": "fallen_tree", "district": "fongshan", "address": TREE.address}


def _event(event_type: str, **payload: Any) -> AlertEvent:
    """An event of the tree's case, which is PWD-MAINT's after it."""
    return AlertEvent(id=41, type=event_type, payload=payload, agency="PWD-MAINT", recorded_at=NOW)


def _raised(event: AlertEvent, case: AlertCase = TREE, now: datetime = NOW) -> list[Alert]:
    return alerts_for(event, case, tz=TZ, now=now)


def test_a_first_assignment_alerts_the_agency_room_only() -> None:
    event = _event("case_assigned", agency="PWD-MAINT", previous_agency=None, reason="category_default")
    assert _raised(event) == [
        Alert(
            room="agency:PWD-MAINT",
            message={"event": "dispatched", **PLACE, "agency": "PWD-MAINT", "alert_id": 41, "kind": "dispatch_alert"},
        )
    ]


def test_every_category_is_dispatched_with_an_alert_not_only_the_urgent_ones() -> None:
    sidewalk = replace(TREE, category="sidewalk", category_name_zh="人行道損壞")
    event = _event("case_assigned", agency="PWD-MAINT", previous_agency=None)
    assert [alert.message["kind"] for alert in _raised(event, sidewalk)] == ["dispatch_alert"]


def test_a_move_alerts_the_new_agency_and_a_reassignment_to_the_same_agency_alerts_no_one() -> None:
    moved = AlertEvent(
        id=41,
        type="case_assigned",
        payload={"agency": "DO-FONGSHAN", "previous_agency": "PWD-MAINT", "reason": "manual"},
        agency="DO-FONGSHAN",
        recorded_at=NOW,
    )
    assert [(alert.room, alert.message["agency"]) for alert in _raised(moved)] == [
        ("agency:DO-FONGSHAN", "DO-FONGSHAN")
    ]
    again = replace(moved, payload={"agency": "DO-FONGSHAN", "previous_agency": "DO-FONGSHAN"})
    assert _raised(again) == []


def test_a_reopened_case_alerts_its_agency_again_and_one_without_an_agency_alerts_no_one() -> None:
    reopened = _event("case_reopened", reason="民眾再次反映", previous_status="closed")
    assert [(alert.room, alert.message["kind"], alert.message["event"]) for alert in _raised(reopened)] == [
        ("agency:PWD-MAINT", "dispatch_alert", "dispatched")
    ]
    assert _raised(replace(reopened, agency=None)) == []


def test_the_ladders_supervisor_step_alerts_the_supervisors_while_the_case_waits() -> None:
    step = _event("alert_escalated", step=2, rung="call_supervisor", agency="PWD-MAINT", calls=["+886912000201"])
    assert _raised(step) == [
        Alert(
            room=Room.SUPERVISORS,
            message={
                "event": "unacknowledged",
                **PLACE,
                "agency": "PWD-MAINT",
                "step": 2,
                "alert_id": 41,
                "kind": "supervisors_alert",
            },
        )
    ]
    duty = _event("alert_escalated", step=1, rung="call_duty", agency="PWD-MAINT")
    assert _raised(duty) == []  # the duty phones are called; no console alert
    assert _raised(step, replace(TREE, status="acknowledged")) == []  # acknowledged meanwhile
    assert _raised(step, replace(TREE, agency="DO-FONGSHAN")) == []  # moved to another agency meanwhile


def test_an_sla_escalation_alerts_the_supervisors_in_the_words_of_the_supervisors_sms() -> None:
    deadline = datetime(2025, 3, 3, 3, 50, tzinfo=UTC)
    event = _event("sla_escalated", target="ack", deadline=deadline.isoformat(), agency="PWD-MAINT", policy="hazard")
    assert _raised(event) == [
        Alert(
            room=Room.SUPERVISORS,
            message={
                "case_no": TREE.case_no,
                "target": "ack",
                "agency": "PWD-MAINT",
                "deadline": deadline.isoformat(),
                "text": f"【1999逾期】案件{TREE.case_no}（路樹傾倒，鳳山區）"
                "應於03/03 11:50前確認收到，已逾期，請督導處理。",
                "alert_id": 41,
                "kind": "sla_escalation_alert",
            },
        )
    ]
    report = replace(event, payload={**event.payload, "target": "report"})
    no_district = replace(TREE, district=None, district_name_zh=None)
    assert _raised(report, no_district)[0].message["text"] == (
        f"【1999逾期】案件{TREE.case_no}（路樹傾倒）應於03/03 11:50前回報處理情形，已逾期，請督導處理。"
    )


def test_an_alert_that_could_not_be_delivered_alerts_the_supervisors() -> None:
    event = _event("alert_dead", channel="voice", recipient="+88677995678", reason="no answer", advice="…")
    assert _raised(event) == [
        Alert(
            room=Room.SUPERVISORS,
            message={
                "event": "alert_dead",
                **PLACE,
                "agency": "PWD-MAINT",
                "recipient": "+88677995678",
                "reason": "no answer",
                "alert_id": 41,
                "kind": "dead_alert",
            },
        )
    ]


@pytest.mark.parametrize(
    "event_type",
    [
        "case_created",
        "case_acknowledged",
        "case_reported",
        "sla_warning",
        "sla_breached",
        "note_added",
        "alert_skipped",
    ],
)
def test_other_events_raise_no_alert(event_type: str) -> None:
    assert _raised(_event(event_type, previous_agency=None)) == []


def test_no_alert_reaches_the_agents_or_the_mayors_office_and_each_has_the_events_id() -> None:
    events = [
        _event("case_assigned", previous_agency=None, agency="PWD-MAINT"),
        _event("case_reopened"),
        _event("alert_escalated", step=3, rung="call_supervisor", agency="PWD-MAINT"),
        _event("sla_escalated", target="report", deadline=None, agency="PWD-MAINT"),
        _event("alert_dead", recipient="+886912000103", reason="landline"),
    ]
    raised = [alert for event in events for alert in _raised(replace(event, id=100 + len(event.type)))]
    assert {alert.message["kind"] for alert in raised} == {
        "dispatch_alert",
        "supervisors_alert",
        "sla_escalation_alert",
        "dead_alert",
    }
    assert {alert.room for alert in raised} == {"agency:PWD-MAINT", Room.SUPERVISORS}
    assert not {alert.room for alert in raised} & {Room.AGENTS, Room.MAYOR_OFFICE}
    assert all(alert.message["alert_id"] == 100 + len(event.type) for event, alert in zip(events, raised, strict=True))


def test_an_event_pushed_long_after_it_was_recorded_raises_no_alert() -> None:
    event = _event("case_assigned", previous_agency=None, agency="PWD-MAINT")
    assert _raised(event, now=NOW + ALERT_TTL) != []
    assert _raised(event, now=NOW + ALERT_TTL + timedelta(seconds=1)) == []

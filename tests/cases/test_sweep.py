"""The sweep against a real database: every milestone fires once, at the time it should have."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.cases import actions
from app.cases.sweep import sweep
from app.db import db
from app.models import Case, CaseEvent, Notification
from tests.factories import Factory, alerts_raised

TZ = ZoneInfo("Asia/Taipei")
NIGHT = datetime(2025, 3, 3, 23, 50, tzinfo=TZ)


def _sla_events(case: Case) -> list[tuple[str, str, str]]:
    """(event type, sla key, local time it happened) for the case's SLA events, in order."""
    rows = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.sla_key.is_not(None)).order_by(CaseEvent.id)
    )
    return [(row.event_type, str(row.sla_key), row.occurred_at.astimezone(TZ).strftime("%H:%M")) for row in rows]


def _reload(case: Case) -> Case:
    db.session.expire_all()
    reloaded = db.session.get(Case, case.id)
    assert reloaded is not None
    return reloaded


def test_a_dispatch_at_2350_is_due_at_0350_and_shows_its_policy(factory: Factory) -> None:
    case = factory.case(now=NIGHT)
    assert case.sla_policy == "fallen_tree" and case.sla_policy_version == 1 and case.sla_round == 1
    assert case.ack_due_at == NIGHT + timedelta(minutes=15)
    assert case.report_due_at == datetime(2025, 3, 4, 3, 50, tzinfo=TZ)
    assert case.sla_stage == "on_track"
    # The first thing the sweep must look at: the acknowledgement warning at 75 % of 15 minutes.
    assert case.next_sla_check_at == NIGHT + timedelta(minutes=11, seconds=15)


def test_a_worker_down_for_three_hours_fires_every_missed_milestone_once_with_its_time(factory: Factory) -> None:
    case = factory.case(now=NIGHT)
    responder = factory.user("agency", agency=case.agency.code).actor
    case = actions.acknowledge_case(
        session=db.session,
        actor=responder,
        case_no=case.case_no,
        version=case.version,
        now=NIGHT + timedelta(minutes=5),
    )
    # No sweep ran from 23:50 until 06:00: the report-back warnings (02:50, 03:20), breach and
    # escalation (03:50) were all missed.
    report = sweep(db.session, now=datetime(2025, 3, 4, 6, 0, tzinfo=TZ))
    assert report.fired == {"warning": 2, "breached": 1, "escalated": 1}
    assert _sla_events(case) == [
        ("sla_warning", "1:report:warning1", "02:50"),
        ("sla_warning", "1:report:warning2", "03:20"),
        ("sla_breached", "1:report:breached", "03:50"),
        ("sla_escalated", "1:report:escalated", "03:50"),
    ]
    reloaded = _reload(case)
    assert reloaded.sla_stage == "escalated" and reloaded.next_sla_check_at is None
    # The stage is the system's, not an edit: the responder's version still works.
    assert reloaded.version == case.version
    # Sweeping again (a restart, a second worker) finds nothing more to do.
    assert sweep(db.session, now=datetime(2025, 3, 4, 6, 0, 30, tzinfo=TZ)).fired == {}
    assert len(_sla_events(case)) == 4


def test_escalation_alerts_the_agency_supervisor_and_the_centre(factory: Factory) -> None:
    case = factory.case(now=NIGHT)
    sweep(db.session, now=NIGHT + timedelta(minutes=16))
    assert [kind for kind, _, _ in _sla_events(case)] == ["sla_warning", "sla_breached", "sla_escalated"]
    escalation = db.session.scalar(select(CaseEvent).where(CaseEvent.sla_key == "1:ack:escalated"))
    assert escalation is not None
    outbox = db.session.scalars(select(Notification).where(Notification.event_id == escalation.id)).all()
    by_channel = {row.channel: row for row in outbox}
    assert by_channel["sms"].recipient == case.agency.supervisor_phones[0]
    assert case.case_no in by_channel["sms"].body and "確認收到" in by_channel["sms"].body
    # The centre's alert is no longer an outbox row: the live feed raises it from the escalation event.
    escalated = [alert for alert in alerts_raised(case.id, TZ) if alert.message["alert_id"] == escalation.id]
    assert [alert.room for alert in escalated] == ["supervisors"]
    assert escalated[0].message["case_no"] == case.case_no and escalated[0].message["text"] == by_channel["sms"].body
    assert _reload(case).sla_stage == "escalated"


def test_acknowledging_stops_the_acknowledgement_clock(factory: Factory) -> None:
    case = factory.case(now=NIGHT)
    responder = factory.user("agency", agency=case.agency.code).actor
    sweep(db.session, now=NIGHT + timedelta(minutes=12))
    assert _reload(case).sla_stage == "at_risk"
    case = actions.acknowledge_case(
        session=db.session,
        actor=responder,
        case_no=case.case_no,
        version=_reload(case).version,
        now=NIGHT + timedelta(minutes=13),
    )
    assert case.sla_stage == "on_track" and case.sla_due_at == case.report_due_at
    assert sweep(db.session, now=NIGHT + timedelta(minutes=30)).fired == {}
    assert [key for _, key, _ in _sla_events(case)] == ["1:ack:warning1"]


def test_a_report_back_meets_the_deadline_and_nothing_more_fires(factory: Factory) -> None:
    case = factory.case(now=NIGHT)
    responder = factory.user("agency", agency=case.agency.code).actor
    case = actions.report_back(
        session=db.session,
        actor=responder,
        case_no=case.case_no,
        version=case.version,
        text="已移除倒木",
        now=NIGHT + timedelta(minutes=10),
    )
    assert case.sla_stage == "met" and case.next_sla_check_at is None
    assert sweep(db.session, now=NIGHT + timedelta(days=1)).cases == 0


def test_waiting_for_the_citizen_stops_the_clock_and_resuming_moves_the_deadline(factory: Factory) -> None:
    received = datetime(2025, 3, 3, 9, 0, tzinfo=TZ)  # a Monday
    case = factory.case(now=received, category_code="noise", description="夜間施工噪音")
    assert case.sla_policy == "type:petition" and case.ack_due_at is None
    original_due = case.report_due_at
    responder = factory.user("agency", agency=case.agency.code).actor
    case = actions.acknowledge_case(
        session=db.session, actor=responder, case_no=case.case_no, version=case.version, now=received
    )
    case = actions.wait_for_citizen(
        session=db.session,
        actor=responder,
        case_no=case.case_no,
        version=case.version,
        reason="請民眾補充施工地點",
        now=received + timedelta(hours=1),
    )
    assert case.sla_stage == "paused" and case.next_sla_check_at is None
    # Nothing fires while paused, however long the wait.
    assert sweep(db.session, now=received + timedelta(days=30)).cases == 0
    # Resumed the next morning at 10:00: the pause covered exactly one working day (8 working hours).
    case = actions.resume_case(
        session=db.session,
        actor=responder,
        case_no=case.case_no,
        version=case.version,
        now=datetime(2025, 3, 4, 10, 0, tzinfo=TZ),
    )
    assert case.status.value == "acknowledged" and case.sla_stage == "on_track"
    assert case.report_due_at is not None and original_due is not None
    assert case.report_due_at.astimezone(TZ) == datetime(2025, 3, 12, 9, 0, tzinfo=TZ)
    assert original_due.astimezone(TZ) == datetime(2025, 3, 11, 9, 0, tzinfo=TZ)


def test_a_reopened_case_starts_a_new_round(factory: Factory) -> None:
    case = factory.case(now=NIGHT)
    responder = factory.user("agency", agency=case.agency.code).actor
    supervisor = factory.user("supervisor").actor
    sweep(db.session, now=NIGHT + timedelta(minutes=20))
    case = actions.report_back(
        session=db.session,
        actor=responder,
        case_no=case.case_no,
        version=_reload(case).version,
        text="已處理",
        now=NIGHT + timedelta(minutes=30),
    )
    reopened_at = NIGHT + timedelta(hours=2)
    case = actions.reopen_case(
        session=db.session,
        actor=supervisor,
        case_no=case.case_no,
        version=case.version,
        reason="民眾反映仍未處理",
        now=reopened_at,
    )
    assert case.sla_round == 2 and case.sla_started_at == reopened_at
    assert case.ack_due_at == reopened_at + timedelta(minutes=15)
    sweep(db.session, now=reopened_at + timedelta(minutes=16))
    keys = [key for _, key, _ in _sla_events(case)]
    assert keys.count("1:ack:breached") == 1 and keys.count("2:ack:breached") == 1


def test_the_database_refuses_a_second_event_with_the_same_sla_key(factory: Factory) -> None:
    case = factory.case(now=NIGHT)
    sweep(db.session, now=NIGHT + timedelta(minutes=12))
    db.session.add(
        CaseEvent(case_id=case.id, event_type="sla_warning", occurred_at=NIGHT, payload={}, sla_key="1:ack:warning1")
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_sweep_reads_only_the_cases_that_are_due(factory: Factory) -> None:
    for minute in range(20):
        factory.case(now=NIGHT + timedelta(minutes=minute), description=f"路樹倒塌 {minute}")
    # 12 minutes in, only the first case's acknowledgement warning (at 11m15s) is due.
    report = sweep(db.session, now=NIGHT + timedelta(minutes=12))
    assert report.cases == 1 and report.fired == {"warning": 1}


def test_a_case_moved_to_another_agency_gives_that_agency_its_own_round(factory: Factory) -> None:
    case = factory.case(now=NIGHT)
    supervisor = factory.user("supervisor").actor
    moved_at = NIGHT + timedelta(hours=1)
    sweep(db.session, now=moved_at)
    case = actions.assign_case(
        session=db.session,
        actor=supervisor,
        case_no=case.case_no,
        version=_reload(case).version,
        agency_code="DO-FONGSHAN",
        now=moved_at,
    )
    assert case.sla_round == 2 and case.sla_started_at == moved_at
    moved = db.session.scalar(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.event_type == "case_assigned")
        .order_by(CaseEvent.id.desc())
    )
    assert moved is not None and moved.payload["time_with_previous_agency_seconds"] == 3600
    assert moved.payload["previous_agency"] != moved.payload["agency"]
    assert case.ack_due_at == moved_at + timedelta(minutes=15) and case.sla_stage == "on_track"
    # The first agency's missed acknowledgement stays in the trail; the new one starts clean.
    assert sweep(db.session, now=moved_at + timedelta(minutes=1)).fired == {}
    assert [key for _, key, _ in _sla_events(case)] == ["1:ack:warning1", "1:ack:breached", "1:ack:escalated"]


def test_a_late_report_still_counts_as_a_breach(factory: Factory) -> None:
    case = factory.case(now=NIGHT)
    responder = factory.user("agency", agency=case.agency.code).actor
    # The worker was down: the agency acknowledged after 20 minutes and reported after 5 hours.
    case = actions.acknowledge_case(
        session=db.session,
        actor=responder,
        case_no=case.case_no,
        version=case.version,
        now=NIGHT + timedelta(minutes=20),
    )
    case = actions.report_back(
        session=db.session,
        actor=responder,
        case_no=case.case_no,
        version=case.version,
        text="已移除",
        now=NIGHT + timedelta(hours=5),
    )
    assert case.sla_stage == "met_late"
    sweep(db.session, now=NIGHT + timedelta(hours=6))
    # The breaches stand with their own times; warnings and escalations could no longer help anyone.
    assert _sla_events(case) == [
        ("sla_breached", "1:ack:breached", "00:05"),
        ("sla_breached", "1:report:breached", "03:50"),
    ]
    escalations = select(Notification).where(Notification.case_id == case.id, Notification.kind.like("sla_escalation%"))
    assert db.session.scalar(escalations) is None


def test_a_case_paused_after_its_breach_stays_on_the_breached_list(factory: Factory) -> None:
    case = factory.case(now=NIGHT)
    responder = factory.user("agency", agency=case.agency.code).actor
    case = actions.acknowledge_case(
        session=db.session, actor=responder, case_no=case.case_no, version=case.version, now=NIGHT
    )
    case = actions.wait_for_citizen(
        session=db.session,
        actor=responder,
        case_no=case.case_no,
        version=case.version,
        reason="聯絡不到民眾",
        now=NIGHT + timedelta(hours=5),
    )
    # The report-back breach at 03:50 happened before the wait began: it fires, and the stage shows it.
    assert case.next_sla_check_at is not None
    sweep(db.session, now=NIGHT + timedelta(hours=5, minutes=1))
    assert _reload(case).sla_stage == "escalated" and _reload(case).next_sla_check_at is None
    assert "1:report:breached" in [key for _, key, _ in _sla_events(case)]


def test_assigning_again_to_the_same_agency_does_not_reset_its_clock(factory: Factory) -> None:
    case = factory.case(now=NIGHT)
    supervisor = factory.user("supervisor").actor
    sweep(db.session, now=NIGHT + timedelta(minutes=20))
    case = actions.assign_case(
        session=db.session,
        actor=supervisor,
        case_no=case.case_no,
        version=_reload(case).version,
        agency_code=case.agency.code,
        now=NIGHT + timedelta(minutes=21),
    )
    assert case.sla_round == 1 and case.sla_stage == "escalated"

"""The case page's words: durations, the clock's state, and events told in words (not codes) in both languages."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from flask import Flask

from app.access import Actor
from app.cases import actions
from app.cases.casefile import read_case_file
from app.cases.deadlines import SlaStatus
from app.db import db, utcnow
from app.vocabulary import Role
from app.web.casepage.context import case_sections
from app.web.casepage.words import duration_text
from app.web.casepage.words_records import deadline_words
from sla.policy import ClockKind
from tests.conftest import TZ
from tests.factories import Factory


@pytest.fixture
def english(app: Flask):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def chinese(app: Flask):
    with app.test_request_context(headers={"Accept-Language": "zh-TW"}):
        yield


def test_durations_are_coarse_and_unsigned(english) -> None:
    assert duration_text(59) == "0 min"
    assert duration_text(61) == "1 min"
    assert duration_text(-(2 * 3600 + 5 * 60)) == "2 h 5 min"
    assert duration_text(3 * 86400 + 4 * 3600 + 59) == "3 d 4 h"


def _status(stage: str, left: timedelta | None, *, paused: bool = False) -> SlaStatus:
    now = utcnow()
    return SlaStatus(
        policy_key="dispatch",
        policy_version=1,
        clock=ClockKind.WALL,
        round_no=1,
        stage=stage,
        started_at=now,
        ack_due_at=now + timedelta(minutes=15),
        report_due_at=now + timedelta(hours=4),
        due_at=now + timedelta(minutes=15),
        time_left=left,
        paused_since=now if paused else None,
    )


def test_a_deadline_past_is_said_before_the_sweep_records_it(chinese) -> None:
    shown = deadline_words(_status("on_track", timedelta(minutes=-3)), acknowledged=False, tz=TZ)
    assert shown is not None
    assert (shown.state, shown.state_words, shown.time_left) == ("breached", "已逾期", "已逾期 3 分")
    assert shown.pending == "確認收案"


def test_a_clock_in_words(english) -> None:
    on_time = deadline_words(_status("on_track", timedelta(hours=2, minutes=5)), acknowledged=True, tz=TZ)
    assert on_time is not None and (on_time.state_words, on_time.time_left, on_time.pending) == (
        "on time",
        "2 h 5 min left",
        "report back",
    )
    paused = deadline_words(_status("paused", timedelta(hours=1), paused=True), acknowledged=True, tz=TZ)
    assert paused is not None and paused.time_left == "1 h 0 min left when the clock stopped"
    assert deadline_words(None, acknowledged=False, tz=TZ) is None


def test_the_timeline_tells_a_move_and_a_merge_in_words_and_hides_another_agencys_case(
    english, factory: Factory
) -> None:
    agent = factory.agent.actor
    case = factory.case()
    case = actions.assign_case(
        session=db.session, actor=agent, case_no=case.case_no, version=case.version, agency_code="EPB"
    )
    target = factory.case(category_code="pothole")
    actions.merge_case(
        session=db.session,
        actor=agent,
        case_no=case.case_no,
        version=case.version,
        into_case_no=target.case_no,
        reason="同一地點",
    )
    staff = case_sections(read_case_file(session=db.session, actor=agent, case_no=case.case_no), agent, db.session)
    told = {entry.type: entry for entry in staff.timeline}
    assert "Moved from Maintenance Engineering Office, Public Works Bureau" in told["case_assigned"].details
    assert told["case_assigned"].details[0].endswith("(chosen by hand)")
    assert told["case_merged"].details == [f"Merged into case {target.case_no}", "Reason: 同一地點"]
    assert told["case_merged"].case_link == target.case_no
    assert staff.parent is not None and staff.parent.case_no == target.case_no

    responder = factory.user("agency", agency="EPB").actor
    theirs = case_sections(
        read_case_file(session=db.session, actor=responder, case_no=case.case_no), responder, db.session
    )
    merged = next(entry for entry in theirs.timeline if entry.type == "case_merged")
    assert merged.details[0] == "Merged into another agency's case" and merged.case_link is None
    assert theirs.parent is None
    assert target.case_no not in repr(theirs)


def test_system_actors_are_named_in_words(chinese, factory: Factory) -> None:
    case = factory.case()
    actor = Actor(user_id=None, username="centre", role=Role.ADMIN)
    sections = case_sections(read_case_file(session=db.session, actor=actor, case_no=case.case_no), actor, db.session)
    assert all("_" not in entry.title for entry in sections.timeline)
    assert sections.timeline[0].actor.endswith("（話務人員）")


def test_a_deadline_on_an_estimated_calendar_says_so(chinese) -> None:
    status = _status("on_track", timedelta(days=3))
    shown = deadline_words(replace(status, estimated_years=(2027,)), acknowledged=True, tz=TZ)
    assert shown is not None and "民國 116 年" in shown.estimated
    assert deadline_words(status, acknowledged=True, tz=TZ).estimated == ""  # type: ignore[union-attr]

"""Time left in words: office hours said as hours, and a deadline passed at the end of the day said as overdue."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask

from app.cases.deadlines import load_context, sla_status, write_sla_columns
from app.db import db
from app.web.intake_shapes import time_left_words
from tests.factories import Factory

TZ = ZoneInfo("Asia/Taipei")
TUESDAY = datetime(2024, 7, 23, 9, 0, tzinfo=TZ)


def test_office_hours_are_not_read_as_whole_days(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "zh-TW"}):
        # 48 office hours are six working days: "2 天" would tell a responder it is nearly due.
        assert time_left_words(48 * 3600, working=True) == "剩 48 小時 0 分（上班時間）"
        assert time_left_words(48 * 3600) == "剩 2 天 0 小時"
        assert time_left_words(-90 * 60, working=True) == "已逾期 1 小時 30 分（上班時間）"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert time_left_words(30 * 60, working=True) == "30 min left (office hours)"


def test_a_deadline_passed_at_the_end_of_office_hours_is_overdue_that_evening(factory: Factory) -> None:
    petition = factory.case(now=TUESDAY, category_code="noise", description="夜間施工噪音")
    end_of_day = datetime(2024, 7, 26, 17, 30, tzinfo=TZ)  # Friday, the last office minute
    write_sla_columns(db.session, [{"case_id": petition.id, "sla_due_at": end_of_day}])
    db.session.commit()
    db.session.refresh(petition)
    evening = end_of_day + timedelta(hours=4)  # no office time has passed since the deadline
    status = sla_status(db.session, petition, load_context(db.session), evening)
    assert status is not None and status.time_left == timedelta(hours=-4)
    before = sla_status(db.session, petition, load_context(db.session), end_of_day - timedelta(minutes=10))
    assert before is not None and before.time_left == timedelta(minutes=10)


def test_a_list_of_waiting_cases_reads_their_pauses_once_and_each_stands_still(app: Flask, factory: Factory) -> None:
    from sqlalchemy import event

    from app.cases import actions
    from app.web.intake_shapes import case_lines

    waiting = []
    for hour in range(3):
        case = factory.case(now=TUESDAY, category_code="noise", description="夜間施工噪音")
        responder = factory.user("agency", agency=case.agency.code).actor
        case = actions.acknowledge_case(
            session=db.session, actor=responder, case_no=case.case_no, version=case.version, now=TUESDAY
        )
        waiting.append(
            actions.wait_for_citizen(
                session=db.session,
                actor=responder,
                case_no=case.case_no,
                version=case.version,
                reason="請民眾補充施工地點",
                now=TUESDAY + timedelta(hours=hour + 1),
            )
        )
    later = TUESDAY + timedelta(days=3)
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    with app.test_request_context(headers={"Accept-Language": "en"}):
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            lines = case_lines(db.session, responder, waiting, later)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert len([s for s in statements if "FROM sla_pauses" in s]) == 1
    # The clock stands still while a case waits: each shows what it had left when its own wait began.
    context = load_context(db.session)
    for case, line in zip(waiting, lines, strict=True):
        alone = sla_status(db.session, case, context, later)
        assert alone is not None and alone.paused_since is not None
        assert line["time_left_seconds"] == int(alone.time_left.total_seconds())
    assert len({line["time_left_seconds"] for line in lines}) == 3

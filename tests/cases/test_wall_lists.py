"""The wall's lists: short by default, one of them at length when its "and N more" link is followed."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.cases.sweep import sweep
from app.cases.wall import wall_lists
from app.db import db
from tests.factories import Factory

TZ = ZoneInfo("Asia/Taipei")
NIGHT = datetime(2025, 3, 3, 23, 50, tzinfo=TZ)


def test_one_list_opens_at_length_and_the_others_stay_short(factory: Factory) -> None:
    cases = [factory.case(now=NIGHT + timedelta(minutes=minute)) for minute in range(3)]
    sweep(db.session, now=NIGHT + timedelta(hours=2))  # no acknowledgement: all three breached
    short = wall_lists(session=db.session, limit=1)
    assert short.breached.total == 3 and len(short.breached.rows) == 1
    opened = wall_lists(session=db.session, limit=1, expand="breached", expanded_limit=3)
    assert [case.case_no for case in opened.breached.rows] == [case.case_no for case in cases]
    assert opened.breached.total == 3
    other = wall_lists(session=db.session, limit=1, expand="dead_alerts", expanded_limit=3)
    assert len(other.breached.rows) == 1

"""A re-route (改分) never erases history: the breach stays on the record of the agency that breached, the new
agency gets its own round, and the counters show both (the bug: the breach vanished from the counters)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.cases import actions
from app.cases.counters import AgencyCounts, count_open_cases
from app.cases.sweep import sweep
from app.db import db
from app.models import Case, CaseEvent
from app.reference.names import ReferenceNames
from tests.factories import Factory

TZ = ZoneInfo("Asia/Taipei")
NIGHT = datetime(2025, 3, 3, 23, 50, tzinfo=TZ)


def _counts() -> dict[str | None, AgencyCounts]:
    db.session.expire_all()
    return {row.agency: row for row in count_open_cases(db.session, ReferenceNames.load(db.session))}


def _move(factory: Factory, case: Case, agency: str, now: datetime) -> Case:
    db.session.expire_all()
    current = db.session.get(Case, case.id)
    assert current is not None
    return actions.assign_case(
        session=db.session,
        actor=factory.user("supervisor").actor,
        case_no=case.case_no,
        version=current.version,
        agency_code=agency,
        now=now,
    )


def test_a_breached_case_moved_to_another_agency_stays_breached_on_the_first_agencys_record(factory: Factory) -> None:
    case = factory.case(now=NIGHT)
    first = case.agency.code
    sweep(db.session, now=NIGHT + timedelta(hours=1))  # the acknowledgement was missed: breached, escalated
    assert _counts()[first].breached == 1

    moved_at = NIGHT + timedelta(hours=1, minutes=5)
    case = _move(factory, case, "DO-FONGSHAN", moved_at)

    # The new agency starts its own round, on track; the first agency's breach is still counted against it.
    assert case.sla_round == 2 and case.sla_stage == "on_track"
    counts = _counts()
    assert counts["DO-FONGSHAN"].open == 1 and counts["DO-FONGSHAN"].breached == 0
    assert counts[first].breached == 1 and counts[first].breached_moved_away == 1 and counts[first].open == 0
    # The breach stays on the record, stamped with the agency that breached it.
    breaches = db.session.scalars(
        select(CaseEvent.payload).where(CaseEvent.case_id == case.id, CaseEvent.event_type == "sla_breached")
    ).all()
    assert [(payload["agency"], payload["round"]) for payload in breaches] == [(first, 1)]

    # The new agency then misses its own deadline: both breaches show, each on its own agency's row.
    sweep(db.session, now=moved_at + timedelta(hours=1))
    counts = _counts()
    assert counts["DO-FONGSHAN"].breached == 1 and counts["DO-FONGSHAN"].breached_moved_away == 0
    assert counts[first].breached == 1


def test_a_case_moved_back_to_the_agency_that_breached_it_is_counted_once(factory: Factory) -> None:
    case = factory.case(now=NIGHT)
    first = case.agency.code
    sweep(db.session, now=NIGHT + timedelta(hours=1))
    case = _move(factory, case, "DO-FONGSHAN", NIGHT + timedelta(hours=1, minutes=5))
    case = _move(factory, case, first, NIGHT + timedelta(hours=1, minutes=10))
    sweep(db.session, now=NIGHT + timedelta(hours=3))  # and it breaches again in its third round
    counts = _counts()
    assert counts[first].breached == 1 and counts[first].open == 1
    assert "DO-FONGSHAN" not in counts  # it had the case for five minutes and missed nothing


def test_once_reported_the_earlier_breach_leaves_the_live_counters_but_not_the_record(factory: Factory) -> None:
    case = factory.case(now=NIGHT)
    first = case.agency.code
    sweep(db.session, now=NIGHT + timedelta(hours=1))
    case = _move(factory, case, "DO-FONGSHAN", NIGHT + timedelta(hours=1, minutes=5))
    responder = factory.user("agency", agency="DO-FONGSHAN").actor
    case = actions.report_back(
        session=db.session,
        actor=responder,
        case_no=case.case_no,
        version=case.version,
        text="已移除",
        now=NIGHT + timedelta(hours=1, minutes=20),
    )
    # Breaches count until reported back, as for the current round (its stage then reads met_late).
    assert first not in _counts()
    assert db.session.scalar(
        select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.sla_key == "1:ack:breached")
    )

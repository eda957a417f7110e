"""The demo data generator: deterministic, the customer's volumes, and rows its events re-derive exactly."""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.cases import actions, numbers
from app.db import db
from app.demo import shape
from app.demo.check import check_cases
from app.demo.generate import Generator
from app.demo.run import DataPresent, RunReport, generate
from app.demo.world import load_world
from app.demo.writer import CASE_COLUMNS, EVENT_COLUMNS, prepare
from app.models import Call, Case, CaseEvent, Category
from app.vocabulary import CallOutcome, CaseStatus, CaseType, EventType
from tests.conftest import POSTGRES, TZ
from tests.factories import Factory

AUGUST = (date(2022, 8, 1), date(2022, 8, 31))
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
SCALE = 0.02


def _generate(first: date, last: date, *, scale: float = SCALE, seed: int = 5, now: datetime = LONG_AGO) -> RunReport:
    return generate(session=db.session, first=first, last=last, scale=scale, seed=seed, now=now, tz=TZ)


def _all_ids() -> list[int]:
    return list(db.session.scalars(select(Case.id).order_by(Case.id)))


def _digest(seed: int, first: date, last: date) -> str:
    """What the generator would write (every row of every batch), without writing it."""
    world = load_world(db.session, tz=TZ, first=first, last=last)
    generator = Generator(world, scale=SCALE, seed=seed, now=LONG_AGO, typhoons=[first + timedelta(days=3)])
    digest = hashlib.sha256()
    for batch in generator.days(first, last):
        for rows in (batch.cases, batch.events, batch.calls, batch.pauses, batch.grams):
            digest.update(repr(rows).encode())
    return digest.hexdigest()


def test_the_same_seed_gives_the_same_rows_and_another_seed_others(app: Flask) -> None:
    first, last = date(2022, 3, 1), date(2022, 3, 5)
    assert _digest(3, first, last) == _digest(3, first, last)
    assert _digest(3, first, last) != _digest(4, first, last)


def test_a_month_has_the_customers_volumes_at_scale_and_every_case_matches_its_events(app: Flask) -> None:
    report = _generate(*AUGUST)

    cases = db.session.scalar(select(func.count()).select_from(Case)) or 0
    yearly = (shape.PETITIONS_A_YEAR + shape.DISPATCHES_A_YEAR) * SCALE
    assert yearly / 12 * 0.8 < cases < yearly / 12 * 1.4  # a typhoon adds its surge
    calls = Counter(db.session.scalars(select(Call.outcome)))
    total = sum(calls.values())
    assert shape.CALLS_A_YEAR * SCALE / 12 * 0.8 < total < shape.CALLS_A_YEAR * SCALE / 12 * 1.3
    assert 0.30 < calls[CallOutcome.CONSULTATION_ANSWERED] / total < 0.37
    assert calls[CallOutcome.CASE_OPENED] and calls[CallOutcome.PROGRESS_INQUIRY] and calls[CallOutcome.ADDED_TO_CASE]
    assert report.rows["cases"] == cases and report.rows["calls"] == total
    consultations = db.session.execute(
        select(Case.closed_at, Case.created_at).where(Case.case_type == CaseType.CONSULTATION)
    ).all()
    assert consultations and all(closed == created for closed, created in consultations)  # answered at once

    mismatches = check_cases(db.session, _all_ids(), now=LONG_AGO)
    assert [str(m) for m in mismatches] == []


def test_the_trail_has_the_steps_the_services_write(app: Flask) -> None:
    _generate(*AUGUST, scale=0.05)
    kinds = Counter(db.session.scalars(select(CaseEvent.event_type)))
    for kind in (
        EventType.CASE_CREATED, EventType.CASE_ASSIGNED, EventType.CASE_ACKNOWLEDGED, EventType.CASE_REPORTED,
        EventType.CASE_CLOSED, EventType.CASE_MERGED, EventType.CASE_MERGE_RECEIVED, EventType.REPORT_ADDED,
        EventType.SLA_PAUSED, EventType.SLA_RESUMED, EventType.SLA_WARNING, EventType.SLA_BREACHED,
        EventType.SLA_ESCALATED, EventType.ALERT_ESCALATED, EventType.CASE_RETURNED, EventType.EXTENSION_REQUESTED,
        EventType.EXTENSION_APPROVED, EventType.JURISDICTION_REQUESTED, EventType.JURISDICTION_APPROVED,
    ):  # fmt: skip
        assert kinds[kind], kind
    # Every report says how it ended; a re-route after a jurisdiction request says so.
    reports = db.session.scalars(select(CaseEvent.payload).where(CaseEvent.event_type == EventType.CASE_REPORTED))
    assert {payload["outcome"] for payload in reports} <= set(shape.REPORT_OUTCOMES)
    reasons = Counter(
        payload["reason"]
        for payload in db.session.scalars(
            select(CaseEvent.payload).where(CaseEvent.event_type == EventType.CASE_ASSIGNED)
        )
    )
    assert reasons["jurisdiction_request"] and reasons["manual"] and reasons["category_default"]
    # A tail of late ones: some reported after their deadline.
    stages = Counter(db.session.scalars(select(Case.sla_stage)))
    assert stages["met"] > stages["met_late"] > 0


def test_open_cases_at_the_end_of_the_stretch_keep_their_clocks_running(app: Flask) -> None:
    now = datetime(2022, 8, 20, 3, 0, tzinfo=UTC)
    _generate(*AUGUST, now=now)

    latest = db.session.scalar(select(func.max(Case.created_at)))
    assert latest is not None and latest <= now
    open_cases = db.session.scalars(
        select(Case).where(Case.status.in_([CaseStatus.ASSIGNED, CaseStatus.ACKNOWLEDGED]))
    ).all()
    assert open_cases
    # What a sweep at `now` would still have to do is in the future, never behind.
    assert all(case.next_sla_check_at is None or case.next_sla_check_at > now for case in open_cases)
    assert check_cases(db.session, _all_ids(), now=now) == []


def test_a_typhoon_brings_many_reports_of_the_same_places_within_hours(app: Flask) -> None:
    report = _generate(*AUGUST, scale=0.05)
    (typhoon,) = report.typhoons
    categories = dict(db.session.execute(select(Category.code, Category.id)).all())
    rows = db.session.execute(
        select(Case.address, Case.received_at, Case.parent_case_id, Case.report_count).where(
            Case.category_id.in_([categories["road_flooding"], categories["fallen_tree"]])
        )
    ).all()
    places: dict[str, list[datetime]] = {}
    for address, received_at, _parent, _count in rows:
        places.setdefault(address, []).append(received_at)
    clusters = [times for times in places.values() if len(times) >= 2 and max(times) - min(times) < timedelta(hours=4)]
    assert len(clusters) >= 3
    assert {min(times).astimezone(TZ).date() for times in clusters} == {typhoon}
    assert sum(1 for row in rows if row.parent_case_id) >= 3  # merged into the first report
    assert max(row.report_count for row in rows) >= 2  # or added to it by the next caller


def test_search_finds_a_generated_case_by_its_words(app: Flask, factory: Factory) -> None:
    _generate(date(2022, 3, 1), date(2022, 3, 3))
    case = db.session.scalars(select(Case).where(Case.address.like("%巷%")).order_by(Case.id.desc())).first()
    assert case is not None and case.address

    for query in (case.address, case.address[-6:], "路燈"):
        response = factory.agent.get("/cases", query_string={"q": query})
        assert response.status_code == 200
        found = {item["case_no"] for item in response.get_json()["items"]}
        assert found, query
        if query != "路燈":
            assert case.case_no in found, query


def test_case_numbers_continue_without_a_gap_after_generation(app: Flask, factory: Factory) -> None:
    day = date(2022, 3, 2)
    _generate(date(2022, 3, 1), date(2022, 3, 3))
    numbers_of_day = sorted(
        int(number.split("-")[1])
        for number in db.session.scalars(
            select(Case.case_no).where(Case.case_no.like(f"{numbers.roc_date_digits(day)}-%"))
        )
    )
    assert numbers_of_day == list(range(1, len(numbers_of_day) + 1))

    noon = datetime(2022, 3, 2, 4, tzinfo=UTC)
    following = numbers.next_case_no(db.session, now=noon, tz=TZ)
    db.session.commit()
    assert following == numbers.format_case_no(day, len(numbers_of_day) + 1)


def test_a_stretch_with_cases_is_refused_and_ids_move_on_for_the_services(app: Flask, factory: Factory) -> None:
    _generate(date(2022, 3, 1), date(2022, 3, 2))
    before = db.session.scalar(select(func.count()).select_from(CaseEvent))
    with pytest.raises(DataPresent):
        _generate(date(2022, 3, 2), date(2022, 3, 4))
    assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == before

    # The services go on after the generated rows: a new case and its steps, on both databases.
    case = factory.case()
    assert case.id > max(_all_ids()[:-1])
    responder = factory.user("agency", agency="PWD-MAINT").actor
    acknowledged = actions.acknowledge_case(
        session=db.session, actor=responder, case_no=case.case_no, version=case.version
    )
    actions.report_back(
        session=db.session, actor=responder, case_no=case.case_no, version=acknowledged.version, text="ok"
    )
    assert check_cases(db.session, [case.id], now=datetime.now(UTC)) == []


def test_the_check_agrees_with_the_services_and_sees_a_changed_row(app: Flask, factory: Factory) -> None:
    """The re-derivation is the services' own rule: their cases pass, a row changed behind their back fails."""
    responder = factory.user("agency", agency="PWD-MAINT").actor
    moved = factory.case()
    actions.assign_case(session=db.session, actor=factory.agent.actor, case_no=moved.case_no, version=moved.version,
                        agency_code="WRB")  # fmt: skip
    waited = factory.case(category_code="sidewalk", case_type="petition")
    who, version = _agency(factory, waited), waited.version
    version = actions.acknowledge_case(session=db.session, actor=who, case_no=waited.case_no, version=version).version
    version = actions.wait_for_citizen(
        session=db.session, actor=who, case_no=waited.case_no, version=version, reason="?"
    ).version
    actions.resume_case(session=db.session, actor=who, case_no=waited.case_no, version=version)
    reported = factory.case()
    actions.report_back(
        session=db.session, actor=responder, case_no=reported.case_no, version=reported.version, text="x"
    )
    ids = [moved.id, waited.id, reported.id]
    now = datetime.now(UTC)
    assert check_cases(db.session, ids, now=now) == []

    db.session.execute(Case.__table__.update().where(Case.id == reported.id).values(status="closed"))  # type: ignore[attr-defined]
    db.session.commit()
    assert [m.column for m in check_cases(db.session, ids, now=now)] == ["status"]


def _agency(factory: Factory, case: Case) -> Any:
    code = db.session.get_one(Case, case.id).agency.code  # type: ignore[union-attr]
    return factory.named_user(f"responder-{code}", "agency", code).actor


@pytest.mark.skipif(not POSTGRES, reason="COPY text is what the PostgreSQL writer sends")
def test_the_copy_text_made_in_the_generator_is_what_psycopg_would_send_row_by_row(app: Flask) -> None:
    from psycopg.copy import Copy, FileWriter
    from psycopg.types.json import Json

    first = last = date(2022, 3, 1)
    world = load_world(db.session, tz=TZ, first=first, last=last)
    (batch,) = Generator(world, scale=SCALE, seed=3, now=LONG_AGO, typhoons=[first]).days(first, last)
    rows = {
        "cases": [tuple(row[name] for name in CASE_COLUMNS) for row in batch.cases],
        "case_events": [(*event[:6], Json(event[6]), *event[7:]) for event in batch.events],
        "calls": batch.calls,
        "sla_pauses": batch.pauses,
        "case_search_grams": batch.grams,
    }
    assert EVENT_COLUMNS[6] == "payload"
    raw = db.session.connection().connection.driver_connection
    prepared = prepare(batch, postgresql=True)
    assert [name for name, *_ in prepared.tables] == list(rows)
    for name, _columns, count, data in prepared.tables:
        sent = io.BytesIO()
        with raw.cursor() as cursor, Copy(cursor, writer=FileWriter(sent)) as copy:
            for row in rows[name]:
                copy.write_row(row)
        assert (count, data) == (len(rows[name]), sent.getvalue()), name
    assert prepared.tables[0][2] > 0 and prepared.tables[1][2] > 0

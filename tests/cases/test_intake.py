"""Opening cases: numbering, routing, normalisation, and refusals that write nothing."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.cases.intake import NewCase, open_case
from app.db import db, utcnow
from app.errors import Forbidden, InvalidInput
from app.models import Case, CaseEvent
from app.reference.seed import seed_reference_data
from app.vocabulary import CaseStatus, Channel
from config.settings import REFERENCE_DIR
from tests.factories import Factory


def _counts() -> tuple[int, int]:
    return db.session.scalar(select(func.count(Case.id))) or 0, db.session.scalar(select(func.count(CaseEvent.id))) or 0


def test_dispatch_is_numbered_by_roc_date_and_routed_to_the_default_agency(factory: Factory) -> None:
    case = factory.case()
    today = utcnow().astimezone(factory.tz).date()
    assert re.fullmatch(rf"{today.year - 1911}{today:%m%d}-0001", case.case_no)
    assert case.status is CaseStatus.ASSIGNED
    assert case.agency is not None and case.agency.code == "PWD-MAINT"
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
    assert [event.event_type for event in events] == ["case_created", "case_assigned"]
    assert events[1].payload["reason"] == "category_default"


def test_street_light_in_a_former_county_district_goes_to_the_district_office(factory: Factory) -> None:
    case = factory.case(category_code="street_light", district_code="fongshan")
    assert case.agency is not None and case.agency.code == "DO-FONGSHAN"


def test_street_light_in_a_former_city_district_goes_to_the_maintenance_office(factory: Factory) -> None:
    case = factory.case(category_code="street_light", district_code="sanmin")
    assert case.agency is not None and case.agency.code == "PWD-MAINT"


def test_sequence_grows_within_a_day(factory: Factory) -> None:
    numbers = [factory.case().case_no for _ in range(3)]
    assert [number[-4:] for number in numbers] == ["0001", "0002", "0003"]


def test_consultation_answered_on_the_line_closes_at_once(factory: Factory) -> None:
    case = factory.case(
        category_code="general_inquiry",
        district_code=None,
        description="垃圾車幾點來？",
        answer="三民區垃圾車 19:30 抵達。",
    )
    assert case.status is CaseStatus.CLOSED
    assert case.closed_at is not None and case.resolution == "三民區垃圾車 19:30 抵達。"


def test_consultation_without_answer_waits_in_new(factory: Factory) -> None:
    case = factory.case(category_code="general_inquiry", district_code=None, description="想問補助")
    assert case.status is CaseStatus.NEW and case.agency is None


@pytest.mark.mutates_reference
def test_a_petition_nobody_is_responsible_for_goes_to_triage(factory: Factory, tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, reference)
    categories = reference / "categories.yaml"
    text = categories.read_text(encoding="utf-8")
    start = text.index("  - code: petition_other")
    entry = text[start : text.index("  - code:", start + 1)]
    categories.write_text(text.replace(entry, entry.replace("default_agency: RDEC", "default_agency: null")), "utf-8")
    seed_reference_data(session=db.session, directory=reference, force=True)

    case = factory.case(category_code="petition_other", district_code="sanmin", description="其他陳情")
    assert case.status is CaseStatus.NEW and case.agency_id is None
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
    assert [event.event_type for event in events] == ["case_created", "routing_failed"]
    assert events[1].payload["reason"] == "no_match"


@pytest.mark.parametrize(
    ("utc_now", "expected_prefix"),
    [
        (datetime(2023, 11, 5, 15, 59, 59, tzinfo=UTC), "1121105-"),  # 23:59:59 in Taipei
        (datetime(2023, 11, 5, 16, 0, 0, tzinfo=UTC), "1121106-"),  # midnight in Taipei, still the 5th in UTC
    ],
)
def test_case_numbers_follow_the_taipei_calendar_day(factory: Factory, utc_now: datetime, expected_prefix: str) -> None:
    case = open_case(
        session=db.session,
        actor=factory.agent.actor,
        tz=factory.tz,
        now=utc_now,
        new_case=NewCase(
            channel=Channel.PHONE,
            category_code="pothole",
            district_code="sanmin",
            description="坑洞",
            received_at=utc_now,
        ),
    )
    assert case.case_no == f"{expected_prefix}0001"


def test_phone_is_stored_in_e164(factory: Factory) -> None:
    case = factory.case(reporter_phone="0912-345-678", wants_sms_reply=True)
    assert case.reporter_phone == "+886912345678"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category_code": "no_such"}, "category"),
        ({"district_code": "atlantis"}, "district"),
        ({"district_code": None}, "district"),
        ({"reporter_phone": "1999"}, "reporter_phone"),
        ({"reporter_phone": "110"}, "reporter_phone"),
        ({"reporter_phone": "0912"}, "reporter_phone"),
        ({"reporter_phone": "(07)336-8333", "wants_sms_reply": True}, "reporter_phone"),
        ({"wants_sms_reply": True}, "reporter_phone"),
        ({"anonymous": True, "reporter_name": "王小明"}, "reporter_name"),
        ({"answer": "已答覆"}, "answer"),
        ({"case_type": "petition"}, "case_type"),
        ({"received_at": utcnow() + timedelta(hours=1)}, "received_at"),
        ({"received_at": utcnow() - timedelta(days=31)}, "received_at"),
    ],
)
def test_bad_intake_is_refused_and_writes_nothing(factory: Factory, overrides: dict, field: str) -> None:
    before = _counts()
    with pytest.raises(InvalidInput) as refusal:
        factory.case(**overrides)
    assert field in refusal.value.fields
    assert _counts() == before


def test_a_letter_may_be_recorded_days_after_it_arrived(factory: Factory) -> None:
    received = utcnow() - timedelta(days=5)
    case = factory.case(channel=Channel.LETTER, received_at=received)
    assert case.received_at == received.replace(microsecond=case.received_at.microsecond)
    assert case.created_at > case.received_at


def test_agency_users_cannot_open_cases(factory: Factory) -> None:
    responder = factory.user("agency", agency="PWD-MAINT")
    with pytest.raises(Forbidden):
        open_case(
            session=db.session,
            actor=responder.actor,
            tz=factory.tz,
            new_case=NewCase(
                channel=Channel.PHONE, category_code="pothole", district_code="sanmin", description="坑洞"
            ),
        )

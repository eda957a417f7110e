"""Agencies and duty rosters edited by administrators: checked phones, overlaps shown, refusals change nothing."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.access import Actor
from app.admin_audit import StaleEdit
from app.db import db
from app.errors import InvalidInput, NotFound
from app.models import AdminChange, Agency, RosterOverride, RosterShift
from app.reference import agencies, rosters
from app.reference.cache import reference_cache
from app.vocabulary import Role

ROOT = Actor(user_id=None, username="root-test", role=Role.ADMIN)
TZ = ZoneInfo("Asia/Taipei")


def _shift(**given: Any) -> RosterShift:
    """A weekly shift of PWD-MAINT, added by an administrator (the arrange step, or the refused attempt)."""
    return rosters.add_shift(session=db.session, actor=ROOT, agency_code="PWD-MAINT", **given)


def _override(**given: Any) -> RosterOverride:
    """A one-off override of PWD-MAINT's roster, added by an administrator."""
    return rosters.add_override(session=db.session, actor=ROOT, agency_code="PWD-MAINT", **given)


def _state() -> tuple[object, ...]:
    db.session.expire_all()
    agency = db.session.execute(
        select(Agency.name_zh, Agency.duty_phones, Agency.supervisor_phones, Agency.active).where(
            Agency.code == "PWD-MAINT"
        )
    ).one()
    shifts = db.session.execute(select(RosterShift.id, RosterShift.phone)).all()
    overrides = db.session.execute(select(RosterOverride.id)).all()
    changes = db.session.scalar(select(func.count()).select_from(AdminChange))
    return tuple(agency), tuple(shifts), tuple(overrides), changes


def _input(**changes: object) -> agencies.AgencyInput:
    values: dict[str, object] = {
        "name_zh": "工務局養護工程處",
        "name_en": "Maintenance",
        "district": None,
        "active": True,
        "duty_phones": "0912-000-103\n07-336-8333",
        "supervisor_phones": "0912000203",
    }
    values.update(changes)
    return agencies.AgencyInput(**values)  # type: ignore[arg-type]


@pytest.mark.mutates_reference
def test_an_agency_edit_normalises_phones_keeps_landlines_and_is_logged(app) -> None:
    seen = agencies.snapshot(agencies.find_agency(db.session, "PWD-MAINT"))
    agencies.update_agency(session=db.session, actor=ROOT, code="PWD-MAINT", given=_input(), seen=seen)
    agency = agencies.find_agency(db.session, "PWD-MAINT")
    assert agency.duty_phones == ["+886912000103", "+88673368333"]
    assert reference_cache.snapshot(db.session).agencies["PWD-MAINT"].duty_phones == agency.duty_phones
    change = db.session.scalar(select(AdminChange).where(AdminChange.object_type == "agency"))
    assert change is not None and change.before is not None and change.after is not None
    assert change.before["duty_phones"] == ["+886912000103", "+886912000303"]
    assert change.after["duty_phones"] == ["+886912000103", "+88673368333"]


@pytest.mark.mutates_reference
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"duty_phones": "0912-000-103\n12345"}, "duty_phones"),  # not a number
        ({"duty_phones": "1999"}, "duty_phones"),  # a short code
        ({"duty_phones": "+1 212 555 0100"}, "duty_phones"),  # not Taiwanese
        ({"duty_phones": ""}, "duty_phones"),  # none at all
        ({"supervisor_phones": "0912"}, "supervisor_phones"),
        ({"name_zh": "  "}, "name_zh"),
        ({"district": "atlantis"}, "district"),
    ],
)
def test_a_bad_agency_edit_is_refused_beside_the_field_and_changes_nothing(app, changes, field) -> None:
    before = _state()
    with pytest.raises(InvalidInput) as refused:
        agencies.update_agency(session=db.session, actor=ROOT, code="PWD-MAINT", given=_input(**changes), seen=None)
    assert list(refused.value.fields) == [field]
    assert _state() == before


@pytest.mark.mutates_reference
def test_a_stale_agency_edit_says_what_changed_and_changes_nothing(app) -> None:
    seen = agencies.snapshot(agencies.find_agency(db.session, "PWD-MAINT"))
    agencies.update_agency(session=db.session, actor=ROOT, code="PWD-MAINT", given=_input(name_zh="養工處"), seen=seen)
    before = _state()
    with pytest.raises(StaleEdit) as refused:
        agencies.update_agency(session=db.session, actor=ROOT, code="PWD-MAINT", given=_input(), seen=seen)
    assert refused.value.changes["name_zh"] == ("工務局養護工程處", "養工處")
    assert _state() == before


def test_an_invalid_roster_phone_is_refused_and_changes_nothing(app) -> None:
    before = _state()
    for phone in ("12345", "119", "+1 212 555 0100"):
        with pytest.raises(InvalidInput) as refused:
            _shift(name="陳", phone=phone, days=["mon"], start=time(8), end=time(18))
        assert "phone" in refused.value.fields
    with pytest.raises(InvalidInput) as refused:
        _shift(name="陳", phone="0912555001", days=[], start=time(8), end=time(18))
    assert "days" in refused.value.fields
    assert _state() == before


def test_an_overlapping_shift_is_shown_and_needs_confirming(app) -> None:
    _shift(name="林夜班", phone="0912555002", days=["mon", "tue", "wed", "thu", "fri"], start=time(18), end=time(8))
    before = _state()
    with pytest.raises(rosters.RosterOverlap) as refused:
        _shift(name="黃晚班", phone="0912555005", days=["wed"], start=time(17), end=time(20))
    assert refused.value.status == 409 and refused.value.overlapping == ["林夜班 +886912555002"]
    assert _state() == before
    _shift(name="黃晚班", phone="0912555005", days=["wed"], start=time(17), end=time(20), confirm_overlap=True)
    assert len(_state()[1]) == 2


def test_overrides_need_an_end_after_the_start_and_overlaps_confirmed(app) -> None:
    start, end = datetime(2025, 3, 5, 20, tzinfo=TZ), datetime(2025, 3, 6, 8, tzinfo=TZ)
    before = _state()
    with pytest.raises(InvalidInput):
        _override(name="代理", phone="0912555077", starts_at=end, ends_at=start, reason="")
    assert _state() == before
    _override(name="代理", phone="0912555077", starts_at=start, ends_at=end, reason="請假代理")
    with pytest.raises(rosters.RosterOverlap):
        _override(name="備勤", phone="0912555078", starts_at=start, ends_at=end, reason="颱風備勤")


def test_removing_an_entry_is_logged_and_a_second_removal_is_404(app) -> None:
    row = _shift(name="陳", phone="0912555001", days=["mon"], start=time(8), end=time(18))
    rosters.remove_entry(session=db.session, actor=ROOT, agency_code="PWD-MAINT", kind="shift", entry_id=row.id)
    change = db.session.scalars(select(AdminChange).order_by(AdminChange.id.desc())).first()
    assert change is not None and change.action == "deleted" and change.before is not None
    assert change.before["phone"] == "+886912555001" and change.after is None
    with pytest.raises(NotFound):
        rosters.remove_entry(session=db.session, actor=ROOT, agency_code="PWD-MAINT", kind="shift", entry_id=row.id)

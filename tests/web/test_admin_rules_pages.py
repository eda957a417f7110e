"""The rules' administration pages through their forms (no browser): what is changed, what is refused
with nothing changed, stale edits, and the change log entry of every change."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from app.db import db
from app.models import AlertLadderVersion, CalendarOverride, Category, RoutingRule, SlaPolicyVersion
from app.vocabulary import Role
from tests.web.admin_rules_helpers import admin_changes, fresh_case, petition, recomputed_events, working_day_before_due
from tests.web.conftest import csrf_token, log_in_client

CAL = "/console/admin/rules/calendar"


@pytest.fixture
def admin_client(client, make_login):
    log_in_client(client, make_login(Role.ADMIN, None))
    return client


def _post(client, path: str, data: dict[str, str], lang: str = "zh-TW"):
    token = csrf_token(client, CAL if "/remove" in path else path)
    return client.post(f"{path}?lang={lang}", data={"csrf_token": token, **data})


def _reference_state() -> tuple:
    db.session.rollback()
    return (
        tuple(db.session.execute(select(SlaPolicyVersion.key, SlaPolicyVersion.version, SlaPolicyVersion.current))),
        tuple(db.session.execute(select(Category.code, Category.name_zh, Category.default_agency_id, Category.urgent))),
        tuple(db.session.execute(select(RoutingRule.id, RoutingRule.agency_id, RoutingRule.active))),
        tuple(db.session.execute(select(CalendarOverride.day, CalendarOverride.working))),
        len(admin_changes()),
    )


def test_the_index_and_every_section_open_for_an_administrator_only(admin_client, client, make_login) -> None:
    for path in ("/console/admin/rules", CAL, "/console/admin/rules/policies", "/console/admin/rules/categories"):
        response = admin_client.get(path)
        assert response.status_code == 200, path
    page = admin_client.get("/console/admin/rules").get_data(as_text=True)
    assert 'data-shortcut="G"' in page and "規則與行事曆" in page
    assert "路樹傾倒" in admin_client.get("/console/admin/rules/categories").get_data(as_text=True)
    admin_client.post("/logout", data={"csrf_token": csrf_token(admin_client, "/console/admin/rules")})
    log_in_client(client, make_login(Role.SUPERVISOR, None))
    assert client.get(CAL).status_code == 403


def test_a_closure_is_previewed_then_confirmed_and_moves_an_open_petition(admin_client, factory) -> None:
    case = petition(factory)
    due_before = case.report_due_at
    day = working_day_before_due(case, factory.tz)
    form = {"day": day.isoformat(), "state": "closed", "reason": "颱風停班", "from": "", "until": ""}
    preview = _post(admin_client, CAL, {**form, "do": "preview"})
    assert preview.status_code == 200
    assert re.search(r"將移動 1 件未結案件的期限", preview.get_data(as_text=True))
    assert fresh_case(case.id).report_due_at == due_before and not recomputed_events(
        case.id
    )  # a preview writes nothing
    assert admin_changes() == []
    done = _post(admin_client, CAL, {**form, "do": "confirm"})
    assert done.status_code == 302
    assert fresh_case(case.id).report_due_at > due_before
    (event,) = recomputed_events(case.id)
    assert event.payload["cause"] == "override" and event.payload["day"] == day.isoformat()
    (change,) = admin_changes()
    assert (change.object_type, change.object_key, change.action) == ("calendar_day", day.isoformat(), "created")
    assert change.before is None and change.after["reason"] == "颱風停班" and change.after["working"] is False


def test_bad_calendar_input_is_refused_next_to_the_field_with_nothing_changed(admin_client) -> None:
    before = _reference_state()
    response = _post(admin_client, CAL, {"day": "2026-13-01", "state": "closed", "reason": "", "do": "confirm"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="day-error"' in page and 'id="reason-error"' in page and 'value="2026-13-01"' in page
    outside = _post(
        admin_client, CAL, {"day": "2101-07-01", "state": "closed", "reason": "颱風", "do": "confirm"}, "en"
    )
    assert outside.status_code == 422
    assert "Calendars cover 1998 to 2100; there is none for 2101." in outside.get_data(as_text=True)
    assert _reference_state() == before


def test_an_edited_policy_is_a_new_version_with_its_change_log_entry(admin_client) -> None:
    path = "/console/admin/rules/policies/type:petition"
    form = admin_client.get(path).get_data(as_text=True)
    assert 'value="6d"' in form
    response = _post(
        admin_client,
        path,
        {
            "version": "1",
            "acknowledge_within": "",
            "report_within": "8d",
            "warnings": "75%, 1d",
            "escalate_after": "1d",
        },
    )
    assert response.status_code == 302
    db.session.rollback()
    rows = db.session.execute(
        select(SlaPolicyVersion.version, SlaPolicyVersion.current).where(SlaPolicyVersion.key == "type:petition")
    ).all()
    assert sorted(rows) == [(1, False), (2, True)]
    (change,) = admin_changes()
    assert (change.object_type, change.object_key, change.before["version"], change.after["version"]) == (
        "sla_policy",
        "type:petition",
        1,
        2,
    )
    assert change.after["report_within_s"] == 8 * 8 * 3600


def test_a_policy_whose_acknowledgement_outlasts_its_report_is_refused(admin_client) -> None:
    before = _reference_state()
    path = "/console/admin/rules/policies/fallen_tree"
    data = {"version": "1", "acknowledge_within": "5h", "report_within": "4h", "warnings": "75%", "escalate_after": ""}
    response = _post(admin_client, path, data, lang="en")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "cannot be longer than the report window" in page and 'value="5h"' in page
    bad = _post(admin_client, path, {**data, "acknowledge_within": "soon"})
    assert bad.status_code == 422 and "時間請寫成 15m、4h 或 6d" in bad.get_data(as_text=True)
    assert _reference_state() == before


@pytest.mark.mutates_reference
def test_a_stale_policy_edit_is_409_naming_what_changed(admin_client) -> None:
    path = "/console/admin/rules/policies/fallen_tree"
    data = {"version": "1", "acknowledge_within": "15m", "report_within": "5h", "warnings": "75%", "escalate_after": ""}
    assert _post(admin_client, path, data).status_code == 302
    before = _reference_state()
    stale = _post(admin_client, path, {**data, "report_within": "6h"}, lang="en")
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "as version 2" in page and "Report within" in page and 'value="6h"' in page
    assert _reference_state() == before


@pytest.mark.mutates_reference
def test_a_category_is_edited_with_a_district_rule_and_previewed_first(admin_client) -> None:
    path = "/console/admin/rules/categories/fallen_tree"
    page = admin_client.get(path).get_data(as_text=True)
    seen = re.search(r'name="seen" value="([^"]+)"', page).group(1)
    form = {
        "seen": html.unescape(seen),
        "name_zh": "路樹倒塌",
        "name_en": "Fallen tree",
        "case_type": "dispatch",
        "urgent": "yes",
        "default_agency": "PWD-MAINT",
        "rule-qishan": "DO-QISHAN",
        "preview_district": "qishan",
    }
    preview = _post(admin_client, path, {**form, "do": "preview"})
    assert preview.status_code == 200
    assert "「路樹倒塌」在旗山區的案件將分派給 旗山區公所（依分區規則）" in preview.get_data(as_text=True)
    assert admin_changes() == []
    saved = _post(admin_client, path, {**form, "do": "save"})
    assert saved.status_code == 302
    (change,) = admin_changes()
    assert change.object_key == "fallen_tree" and change.before["name_zh"] == "路樹傾倒"
    assert change.after["rules"]["qishan"] == "DO-QISHAN" and change.after["name_zh"] == "路樹倒塌"
    before = _reference_state()
    stale = _post(admin_client, path, {**form, "name_zh": "又改了", "do": "save"})  # the old `seen`
    assert stale.status_code == 409 and "中文名稱" in stale.get_data(as_text=True)
    assert _reference_state() == before


def test_a_duplicate_code_and_an_inactive_agency_are_refused(admin_client) -> None:
    before = _reference_state()
    form = {"code": "noise", "name_zh": "噪音", "name_en": "Noise", "case_type": "petition", "default_agency": "EPB"}
    duplicate = _post(admin_client, "/console/admin/rules/categories/new", {**form, "do": "save"})
    assert duplicate.status_code == 422 and "已有類別使用此代碼" in duplicate.get_data(as_text=True)
    inactive = _post(
        admin_client,
        "/console/admin/rules/categories/new",
        {**form, "code": "noise_night", "rule-sanmin": "NO-SUCH-AGENCY", "do": "save"},
        lang="en",
    )
    assert inactive.status_code == 422
    assert 'id="rule-sanmin-error"' in inactive.get_data(as_text=True)
    assert "This agency is inactive or unknown" in inactive.get_data(as_text=True)
    assert _reference_state() == before


@pytest.mark.mutates_reference
def test_an_edited_ladder_is_a_new_version_for_new_dispatches_only(admin_client, factory) -> None:
    climbing = factory.case()  # a fallen tree: urgent, on the default ladder
    assert (climbing.alert_ladder, climbing.alert_ladder_version) == ("default", 1)
    listing = admin_client.get("/console/admin/rules/policies").get_data(as_text=True)
    assert "催辦階梯" in listing and "第 1 版 1 件" in listing
    path = "/console/admin/rules/ladders/default"
    data = {"version": "1", "call_duty_after": "5m", "call_supervisor_after": "5m", "repeat_every": "10m"}
    refused = _post(admin_client, path, {**data, "repeat_every": "0m"})
    assert refused.status_code == 422 and 'id="repeat_every-error"' in refused.get_data(as_text=True)
    assert admin_changes() == []
    assert _post(admin_client, path, data).status_code == 302
    later = factory.case(description="又一棵倒樹")
    assert (later.alert_ladder_version, fresh_case(climbing.id).alert_ladder_version) == (2, 1)
    (change,) = admin_changes()
    assert (change.object_type, change.object_key, change.before["call_duty_after_s"], change.after["version"]) == (
        "alert_ladder",
        "default",
        600.0,
        2,
    )


def test_taking_a_declared_day_back_moves_the_deadline_back_and_is_logged(admin_client, factory) -> None:
    case = petition(factory)
    due_before = case.report_due_at
    day = working_day_before_due(case, factory.tz)
    form = {"day": day.isoformat(), "state": "closed", "reason": "颱風停班", "do": "confirm"}
    assert _post(admin_client, CAL, form).status_code == 302
    listing = admin_client.get(f"{CAL}?year={day.year}").get_data(as_text=True)
    assert f"/console/admin/rules/calendar/{day.isoformat()}/remove" in listing
    assert _post(admin_client, f"{CAL}/{day.isoformat()}/remove", {}).status_code == 302
    assert fresh_case(case.id).report_due_at == due_before
    assert len(recomputed_events(case.id)) == 2
    created, deleted = admin_changes()
    assert (created.action, deleted.action, deleted.after) == ("created", "deleted", None)
    assert deleted.before == created.after
    missing = _post(admin_client, f"{CAL}/{day.isoformat()}/remove", {}, lang="en")
    assert missing.status_code == 404 and len(admin_changes()) == 2


@pytest.mark.mutates_reference
def test_a_stale_ladder_edit_is_409_naming_what_changed(admin_client) -> None:
    path = "/console/admin/rules/ladders/default"
    data = {"version": "1", "call_duty_after": "5m", "call_supervisor_after": "5m", "repeat_every": "10m"}
    assert _post(admin_client, path, data).status_code == 302
    before = (_reference_state(), _ladders())
    stale = _post(admin_client, path, {**data, "repeat_every": "20m"}, lang="en")  # still from version 1
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    named = re.search(r"as version 2 while you were editing \((.*?) changed\)", html.unescape(page))
    assert named is not None and "Call the duty phones after" in named.group(1) and 'value="20m"' in page
    assert (_reference_state(), _ladders()) == before


def _ladders() -> tuple:
    ladders = select(AlertLadderVersion.key, AlertLadderVersion.version, AlertLadderVersion.spec)
    return tuple(db.session.execute(ladders))

"""The administration pages without a browser: forms that work without script, errors beside fields, refusals
that change nothing (409 for a stale edit, the last admin, an overlapping roster entry), both languages."""

from __future__ import annotations

import html
import re
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.admin_audit import COMMAND_LINE_ACTOR
from app.db import db, utcnow
from app.models import AdminChange, Agency, RosterOverride, RosterShift, User
from app.users.service import create_user
from app.vocabulary import Role
from tests.web.conftest import CSRF_META, Login, csrf_token, log_in_client

PAGES = (
    "/console/admin",
    "/console/admin/users",
    "/console/admin/agencies",
    "/console/admin/agencies/PWD-MAINT",
    "/console/admin/agencies/PWD-MAINT/roster",
    "/console/admin/audit",
    "/console/account",
)


def _admin(client: FlaskClient, make_login) -> Login:
    login = make_login(Role.ADMIN)
    log_in_client(client, login)
    return login


def _post(client: FlaskClient, path: str, data: dict[str, object], page: str | None = None):
    token = csrf_token(client, page or path, CSRF_META)
    return client.post(path, data={"csrf_token": token, **data})


def _count(model) -> int:
    db.session.rollback()  # a fresh snapshot: the pages wrote in their own transactions
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _text(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _night_shift_and_a_stand_in(client: FlaskClient) -> str:
    """PWD-MAINT's roster with a Wednesday night shift and a stand-in on 2030-03-05 20:00–08:00; its page's path."""
    roster = "/console/admin/agencies/PWD-MAINT/roster"
    night = {"name": "林夜班", "phone": "0912-555-002", "start": "18:00", "end": "08:00", "days": ["wed"]}
    assert _post(client, f"{roster}/shifts", night, roster).status_code == 302
    leave = {"o_name": "代理人", "o_phone": "0912-555-077", "o_from": "2030-03-05T20:00", "o_until": "2030-03-06T08:00"}
    assert _post(client, f"{roster}/overrides", {**leave, "confirm_overlap": "1"}, roster).status_code == 302
    return roster


@pytest.mark.parametrize("language", ["zh-TW", "en"])
def test_every_admin_page_opens_in_both_languages(client: FlaskClient, make_login, language) -> None:
    _admin(client, make_login)
    for path in PAGES:
        response = client.get(f"{path}?lang={language}")
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        assert f'lang="{"en" if language == "en" else "zh-Hant-TW"}"' in body
        assert "admin." not in _text(response).replace("admin.css", ""), path  # no key shown untranslated


def test_other_roles_may_not_open_administration(client: FlaskClient, make_login) -> None:
    log_in_client(client, make_login(Role.SUPERVISOR, None))
    assert client.get("/console/admin").status_code == 403
    assert client.get("/console/admin/users").status_code == 403
    assert client.get("/console/account").status_code == 200  # everyone has their own account page


def test_creating_a_user_shows_the_temporary_password_once_and_bad_input_keeps_the_values(
    client: FlaskClient, make_login
) -> None:
    _admin(client, make_login)
    users = _count(User)
    refused = _post(client, "/console/admin/users", {"username": "lin.rd", "display_name": "林承辦", "role": "agency"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'id="agency-error"' in page and "機關承辦人必須選擇機關" in page
    assert 'value="lin.rd"' in page and 'value="林承辦"' in page  # values kept
    assert _count(User) == users
    created = _post(
        client,
        "/console/admin/users",
        {"username": "lin.rd", "display_name": "林承辦", "role": "agency", "agency": "PWD-MAINT"},
    )
    assert created.status_code == 201
    secret = re.search(r'<code id="secret-value">([^<]+)</code>', created.get_data(as_text=True))
    assert secret is not None
    assert client.get("/console/admin/users/lin.rd").get_data(as_text=True).count(secret.group(1)) == 0


def test_deactivating_the_last_admin_is_refused_on_the_page(client: FlaskClient, make_login) -> None:
    login = _admin(client, make_login)
    changes = _count(AdminChange)
    response = _post(
        client,
        f"/console/admin/users/{login.username}/active",
        {"active": "0"},
        f"/console/admin/users/{login.username}",
    )
    assert response.status_code == 409
    assert "最後一位啟用中的系統管理員" in response.get_data(as_text=True)
    db.session.rollback()  # a fresh snapshot: the pages wrote in their own transactions
    assert db.session.get(User, login.user_id).active  # type: ignore[union-attr]
    assert _count(AdminChange) == changes


def test_a_stale_user_edit_is_409_with_what_changed(client: FlaskClient, make_login) -> None:
    _admin(client, make_login)
    target = make_login(Role.AGENT, None)
    path = f"/console/admin/users/{target.username}"
    seen = html.unescape(re.search(r'name="seen" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1))  # type: ignore[union-attr]
    first = _post(client, path, {"display_name": "王小明", "role": "agent", "seen": seen})
    assert first.status_code == 302
    changes = _count(AdminChange)
    second = _post(client, path, {"display_name": "王大明", "role": "supervisor", "seen": seen})
    assert second.status_code == 409
    body = _text(second)
    assert "有人已修改了這筆資料" in body and "王小明" in body
    assert 'value="王大明"' in second.get_data(as_text=True)  # what this admin typed is kept
    db.session.rollback()  # a fresh snapshot: the pages wrote in their own transactions
    user = db.session.get(User, target.user_id)
    assert user is not None and user.display_name == "王小明" and user.role is Role.AGENT
    assert _count(AdminChange) == changes


@pytest.mark.mutates_reference
def test_an_invalid_duty_phone_is_refused_beside_the_field(client: FlaskClient, make_login) -> None:
    _admin(client, make_login)
    path = "/console/admin/agencies/PWD-MAINT"
    db.session.rollback()  # a fresh snapshot: the pages wrote in their own transactions
    before = db.session.scalar(select(Agency.duty_phones).where(Agency.code == "PWD-MAINT"))
    response = _post(
        client, path, {"name_zh": "養工處", "name_en": "Maint", "duty_phones": "0912-000-103\n12-34", "active": "1"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="duty_phones-error"' in page and "不是有效的台灣電話號碼" in page and "12-34" in page
    db.session.rollback()  # a fresh snapshot: the pages wrote in their own transactions
    assert db.session.scalar(select(Agency.duty_phones).where(Agency.code == "PWD-MAINT")) == before


def test_an_overlapping_roster_entry_is_shown_with_the_rule_and_added_once_confirmed(
    client: FlaskClient, make_login
) -> None:
    _admin(client, make_login)
    roster = "/console/admin/agencies/PWD-MAINT/roster"
    night = {"name": "林夜班", "phone": "0912-555-002", "start": "18:00", "end": "08:00", "days": ["mon", "tue", "wed"]}
    assert _post(client, f"{roster}/shifts", night, roster).status_code == 302
    evening = {"name": "黃晚班", "phone": "0912-555-005", "start": "17:00", "end": "20:00", "days": ["wed"]}
    refused = _post(client, f"{roster}/shifts", evening, roster)
    assert refused.status_code == 409
    body = _text(refused)
    assert "林夜班" in body and "臨時值班優先於每週值班" in body
    assert _count(RosterShift) == 1
    assert _post(client, f"{roster}/shifts", {**evening, "confirm_overlap": "1"}, roster).status_code == 302
    page = _text(client.get(roster))
    assert "與 林夜班 0912 555 002 同時值班" in page
    bad = _post(client, f"{roster}/shifts", {**evening, "phone": "119"}, roster)
    assert bad.status_code == 422 and "不是有效的台灣電話號碼" in bad.get_data(as_text=True)
    assert _count(RosterShift) == 2


def test_each_roster_entry_has_a_remove_button_naming_it_and_removing_one_keeps_the_other(
    client: FlaskClient, make_login
) -> None:
    _admin(client, make_login)
    roster = _night_shift_and_a_stand_in(client)
    page = client.get(roster).get_data(as_text=True)
    buttons = dict(re.findall(r'action="([^"]+/delete)"[^>]*>\s*<input[^>]*>\s*<button[^>]*aria-label="([^"]+)"', page))
    assert sorted(html.unescape(name) for name in buttons.values()) == [
        "刪除 代理人 03-05 20:00–03-06 08:00",
        "刪除 林夜班 18:00–08:00 （隔天）",
    ]
    override = next(action for action, name in buttons.items() if "代理人" in html.unescape(name))
    assert "/roster/override/" in override
    assert _post(client, override, {}, roster).status_code == 302
    assert (_count(RosterOverride), _count(RosterShift)) == (0, 1)
    after = _text(client.get(roster))
    assert "林夜班" in after and "代理人" not in after


def test_the_audit_page_shows_each_change_as_a_diff_and_filters(client: FlaskClient, make_login) -> None:
    login = _admin(client, make_login)
    _post(client, "/console/admin/users", {"username": "chen", "display_name": "陳", "role": "agent"})
    target = "/console/admin/users/chen"
    seen = html.unescape(re.search(r'name="seen" value="([^"]+)"', client.get(target).get_data(as_text=True)).group(1))  # type: ignore[union-attr]
    _post(client, target, {"display_name": "陳大文", "role": "agent", "seen": seen})
    page = _text(client.get(f"/console/admin/audit?actor={login.username}&lang=en"))
    assert "user chen" in page and "created" in page and "updated" in page
    assert re.search(r"Display name:\s+was:\s+陳\s+→\s+now:\s+陳大文", page)
    only = _text(client.get("/console/admin/audit?object_type=agency&lang=en"))
    assert "user chen" not in only


def test_the_audit_page_speaks_words_and_roc_times_not_codes(client: FlaskClient, make_login) -> None:
    _admin(client, make_login)
    create_user(session=db.session, username="wang", role=Role.AGENT, display_name="王", changed_by=COMMAND_LINE_ACTOR)
    _post(client, "/console/admin/users", {"username": "chen", "display_name": "陳", "role": "agent"})
    target = "/console/admin/users/chen"
    seen = html.unescape(re.search(r'name="seen" value="([^"]+)"', client.get(target).get_data(as_text=True)).group(1))  # type: ignore[union-attr]
    _post(client, target, {"display_name": "陳", "role": "supervisor", "seen": seen})
    chinese = _text(client.get("/console/admin/audit?object_type=user"))
    assert re.search(r"話務人員\s+→\s+\S+\s+督導", chinese) and "supervisor" not in chinese
    assert "指令列" in chinese and "command line" not in chinese
    roc_year = utcnow().astimezone(ZoneInfo("Asia/Taipei")).year - 1911
    assert re.search(rf"\b{roc_year}/\d\d/\d\d \d\d:\d\d\b", chinese)
    english = _text(client.get("/console/admin/audit?object_type=user&lang=en"))
    assert re.search(r"Role:\s+was:\s+\S[^→]*→\s+now:\s+Supervisor", english, re.IGNORECASE)
    assert "command line (no signed-in user)" in english


def test_the_audit_page_shows_roster_days_phones_and_times_as_the_roster_page_does(
    client: FlaskClient, make_login
) -> None:
    _admin(client, make_login)
    _night_shift_and_a_stand_in(client)
    page = _text(client.get("/console/admin/audit"))
    assert "週三" in page and "wed" not in page
    assert "0912 555 002" in page and "+886912555002" not in page
    assert "119/03/05 20:00" in page and "2030-03-05T20:00" not in page


def test_a_temporary_password_must_be_changed_before_anything_else(client: FlaskClient, make_login) -> None:
    _admin(client, make_login)
    created = _post(client, "/console/admin/users", {"username": "wu", "display_name": "吳", "role": "agent"})
    password = re.search(r'<code id="secret-value">([^<]+)</code>', created.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/console/admin")})
    token = csrf_token(client, "/login", re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"'))
    response = client.post("/login", data={"csrf_token": token, "username": "wu", "password": password})
    assert response.headers["Location"] == "/console/account"
    assert client.get("/console/intake").headers["Location"] == "/console/account"
    changed = _post(
        client,
        "/console/account/password",
        {"current_password": password, "new_password": "my own words", "confirm_password": "my own words"},
        "/console/account",
    )
    assert changed.status_code == 302
    assert client.get("/console/intake").status_code == 200


def test_the_login_page_says_how_to_get_an_account(client: FlaskClient) -> None:
    assert "請洽系統管理員" in client.get("/login").get_data(as_text=True)


def test_the_board_shows_who_is_on_duty_now_and_next(client: FlaskClient, make_login) -> None:
    _admin(client, make_login)
    roster = "/console/admin/agencies/PWD-MAINT/roster"
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday", "makeup"]
    _post(
        client,
        f"{roster}/shifts",
        {"name": "日班", "phone": "0912555001", "start": "08:00", "end": "20:00", "days": every_day},
        roster,
    )
    _post(
        client,
        f"{roster}/shifts",
        {"name": "夜班", "phone": "0912555002", "start": "20:00", "end": "08:00", "days": every_day},
        roster,
    )
    board = client.get("/console/board?agency=PWD-MAINT").get_data(as_text=True)
    now = re.search(r'id="board-on-duty-now">([^<]+)<', board)
    upcoming = re.search(r'id="board-on-duty-next">([^<]+)<', board)
    assert now is not None and upcoming is not None
    assert {now.group(1).split()[0], upcoming.group(1).split()[0]} == {"日班", "夜班"}


@pytest.mark.mutates_reference
def test_a_new_agency_needs_a_valid_duty_phone_and_is_logged(client: FlaskClient, make_login) -> None:
    _admin(client, make_login)
    agencies = _count(Agency)
    form = {"code": "DO-TEST", "name_zh": "測試區公所", "name_en": "Test Office", "duty_phones": "1999"}
    refused = _post(client, "/console/admin/agencies", form)
    assert refused.status_code == 422 and 'id="duty_phones-error"' in refused.get_data(as_text=True)
    assert 'value="測試區公所"' in refused.get_data(as_text=True)
    assert _count(Agency) == agencies
    created = _post(client, "/console/admin/agencies", {**form, "duty_phones": "07-336-8333\n0912-000-999"})
    assert created.status_code == 302
    page = _text(client.get("/console/admin/agencies/DO-TEST"))
    assert "07 336 8333" in page and "僅通話" in page  # a landline: calls only
    assert "DO-TEST" in _text(client.get("/console/admin/audit?object_type=agency"))


def test_a_user_chooses_their_language_and_it_comes_back_at_the_next_login(client: FlaskClient, make_login) -> None:
    login = make_login(Role.AGENT, None)
    log_in_client(client, login)
    refused = _post(client, "/console/account/language", {"language": "fr"}, "/console/account")
    assert refused.status_code == 422 and 'id="language-error"' in refused.get_data(as_text=True)
    assert _post(client, "/console/account/language", {"language": "en"}, "/console/account").status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/console/account")})
    with client.session_transaction() as cookie:
        cookie.clear()  # another browser: nothing remembered but the account
    log_in_client(client, login)
    assert 'lang="en"' in client.get("/console/intake").get_data(as_text=True)

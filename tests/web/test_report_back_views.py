"""Reporting back and the closure review through the console's forms, without a browser: photos uploaded with
the report and served only to those who may see the case; bad uploads refused in the user's language with
nothing stored; accepting closes once (the second is a stale version); a responder's history is its own."""

from __future__ import annotations

import io
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from app.cases import actions
from app.cases.photos import MAX_BYTES
from app.db import db
from app.models import Case, CasePhoto, Notification
from app.vocabulary import Role
from tests import photo_files
from tests.factories import Factory, case_state
from tests.web.conftest import log_in_client


def _token(html: str, form: str) -> str:
    match = re.search(rf'name="{form}-csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, f"no {form} form"
    return match.group(1)


def _seen(html: str, form: str) -> str:
    match = re.search(rf'name="{form}-seen" type="hidden" value="(\d+)"', html)
    assert match
    return match.group(1)


def _post_report(client: FlaskClient, case: Case, files: list[tuple[bytes, str]], lang: str = "zh-TW", **fields):
    html = client.get(f"/console/cases/{case.case_no}?lang={lang}").get_data(as_text=True)
    data = {
        "report-csrf_token": _token(html, "report"),
        "report-version": str(fields.pop("version", case.version)),
        "report-seen": _seen(html, "report"),
        "report-outcome": fields.pop("outcome", "done"),
        "report-text": fields.pop("text", "已移除倒木"),
        "report-photos": [(io.BytesIO(data), name) for data, name in files],
    }
    return client.post(f"/console/cases/{case.case_no}/act/report", data=data, content_type="multipart/form-data")


def _stored(app: Flask) -> tuple[int, list[Path]]:
    db.session.rollback()
    rows = int(db.session.scalar(select(func.count()).select_from(CasePhoto)) or 0)
    root = Path(app.instance_path) / "files"
    return rows, sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_responder_reports_with_photos_and_only_those_who_may_see_the_case_see_them(
    app: Flask, client: FlaskClient, factory: Factory, make_login
) -> None:
    case = factory.case()
    log_in_client(client, make_login(Role.AGENCY, "PWD-MAINT"))
    response = _post_report(client, case, [(photo_files.jpeg(orientation=6), "IMG_0001.JPG")])
    assert response.status_code == 302
    html = client.get(f"/console/cases/{case.case_no}").get_data(as_text=True)
    assert "已處理完成" in html and "照片（1）" in html
    db.session.rollback()  # a fresh read of what the request committed
    photo = db.session.scalar(select(CasePhoto))
    assert photo is not None and photo.gps_latitude is not None
    image_url = f"/console/cases/{case.case_no}/photos/{photo.id}"
    assert f'href="{image_url}"' in html and f'src="{image_url}/thumb"' in html
    for url in (image_url, f"{image_url}/thumb"):
        served = client.get(url)
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        assert "private" in served.headers["Cache-Control"]
        image = Image.open(io.BytesIO(served.data))
        assert dict(image.getexif()) == {}  # no place, no camera, nothing but the picture
    assert Image.open(io.BytesIO(client.get(image_url).data)).size == (300, 400)

    other = app.test_client()  # another browser
    log_in_client(other, make_login(Role.AGENCY, "EPB"))
    assert other.get(image_url).status_code == 404
    assert other.get(f"{image_url}/thumb").status_code == 404
    assert other.get(f"/console/cases/{factory.case().case_no}/photos/{photo.id}").status_code == 404  # wrong case


def test_another_agency_cannot_report_through_the_form(
    app: Flask, client: FlaskClient, factory: Factory, make_login
) -> None:
    case = factory.case()
    before = case_state(case.case_no)
    log_in_client(client, make_login(Role.AGENCY, "EPB"))
    token_page = client.get("/console/board").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', token_page)
    assert token
    response = client.post(
        f"/console/cases/{case.case_no}/act/report",
        data={
            "report-csrf_token": token.group(1),
            "report-version": str(case.version),
            "report-seen": "0",
            "report-outcome": "done",
            "report-text": "x",
            "report-photos": [(io.BytesIO(photo_files.jpeg()), "a.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 404
    assert case_state(case.case_no) == before and _stored(app) == (0, [])


def test_bad_uploads_are_refused_in_the_users_language_and_nothing_is_stored(
    app: Flask, client: FlaskClient, factory: Factory, make_login
) -> None:
    case = factory.case()
    before = case_state(case.case_no)
    log_in_client(client, make_login(Role.AGENCY, "PWD-MAINT"))
    big = b"\xff\xd8\xff" + b"\x00" * MAX_BYTES
    cases = [
        ([(big, "huge.jpg")], "zh-TW", 413, "「huge.jpg」超過 10 MB"),
        ([(big, "huge.jpg")], "en", 413, "“huge.jpg” is over 10 MB"),
        ([(b"%PDF-1.7 not a photo", "scan.pdf")], "zh-TW", 422, "「scan.pdf」不是可讀取的照片"),
        ([(b"%PDF-1.7 not a photo", "scan.pdf")], "en", 422, "“scan.pdf” is not a photo we can read"),
        ([(photo_files.jpeg(gps=False), f"{n}.jpg") for n in range(6)], "en", 422, "At most 5 photos"),
    ]
    for files, lang, status, words in cases:
        response = _post_report(client, case, files, lang=lang)
        body = response.get_data(as_text=True)
        assert response.status_code == status, (words, body[:300])
        assert words in body
        assert 'name="report-text"' in body and "已移除倒木" in body  # the report's words are kept for a second try
        assert case_state(case.case_no) == before and _stored(app) == (0, [])


def test_the_supervisor_accepts_once_and_the_citizen_is_told(client: FlaskClient, factory: Factory, make_login) -> None:
    case = factory.case(reporter_phone="0912-345-678", wants_sms_reply=True)
    responder = factory.user("agency", agency="PWD-MAINT").actor
    case = actions.report_back(
        session=db.session,
        actor=responder,
        case_no=case.case_no,
        version=case.version,
        text="已移除倒木",
        outcome="done",
    )
    log_in_client(client, make_login(Role.SUPERVISOR, None))
    html = client.get(f"/console/cases/{case.case_no}").get_data(as_text=True)
    assert "結案審核：核可回報並結案" in html and "結案審核：退回機關" in html
    assert re.search(r'<textarea[^>]*name="close-resolution"[^>]*>\s*已移除倒木</textarea>', html)
    form = {
        "close-csrf_token": _token(html, "close"),
        "close-version": str(case.version),
        "close-seen": _seen(html, "close"),
        "close-resolution": "已移除倒木，結案",
    }
    assert client.post(f"/console/cases/{case.case_no}/act/close", data=form).status_code == 302
    after = case_state(case.case_no)
    assert after.status == "closed"
    again = client.post(f"/console/cases/{case.case_no}/act/close", data=form)  # the same page, sent twice
    assert again.status_code == 409
    assert case_state(case.case_no) == after
    db.session.rollback()
    kinds = db.session.scalars(select(Notification.kind).where(Notification.case_id == case.id)).all()
    assert kinds.count("citizen_outcome") == 1


def test_a_return_without_a_reason_is_refused_and_changes_nothing(
    client: FlaskClient, factory: Factory, make_login
) -> None:
    case = factory.case()
    responder = factory.user("agency", agency="PWD-MAINT").actor
    case = actions.report_back(
        session=db.session, actor=responder, case_no=case.case_no, version=case.version, text="已處理"
    )
    before = case_state(case.case_no)
    log_in_client(client, make_login(Role.AGENT, None))
    html = client.get(f"/console/cases/{case.case_no}").get_data(as_text=True)
    response = client.post(
        f"/console/cases/{case.case_no}/act/return",
        data={
            "return-csrf_token": _token(html, "return"),
            "return-version": str(case.version),
            "return-seen": _seen(html, "return"),
            "return-reason": "  ",
        },
    )
    assert response.status_code == 422
    assert case_state(case.case_no) == before


def test_a_responders_history_is_its_own_agencys_with_phones_masked(
    client: FlaskClient, factory: Factory, make_login
) -> None:
    ours = factory.case(reporter_phone="0912-345-678")
    responder = factory.user("agency", agency="PWD-MAINT").actor
    ours = actions.report_back(
        session=db.session, actor=responder, case_no=ours.case_no, version=ours.version, text="已處理"
    )
    actions.close_case(
        session=db.session, actor=factory.agent.actor, case_no=ours.case_no, version=ours.version, resolution="結案"
    )
    theirs = factory.case(category_code="noise", address="三民區建工路1號", reporter_phone="0912-000-111")
    log_in_client(client, make_login(Role.AGENCY, "PWD-MAINT"))
    board = client.get("/console/board").get_data(as_text=True)
    assert 'href="/console/search"' in board  # the menu's search: the agency's history, closed cases too
    results = client.get("/console/search?q=&status=closed").get_data(as_text=True)
    assert ours.case_no in results and theirs.case_no not in results
    everything = client.get(f"/console/search?agency={theirs.agency.code}").get_data(as_text=True)
    assert theirs.case_no not in everything  # whatever the URL says
    page = client.get(f"/console/cases/{ours.case_no}").get_data(as_text=True)
    assert "0912***678" in page and "0912 345 678" not in page

"""Reporting back with an outcome and photos, and the centre's closure review (accept or return)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from app.access import Actor
from app.cases import actions, review
from app.cases.board import agency_board
from app.cases.photos import MAX_BYTES, Upload
from app.db import db
from app.errors import Conflict, InvalidInput, NotFound, TooLarge
from app.models import Case, CaseEvent, CasePhoto, Notification
from app.storage import current_storage
from app.vocabulary import CaseStatus, ReportOutcome
from tests import photo_files
from tests.factories import Factory, case_state


def _files(app: Flask) -> list[Path]:
    root = Path(app.instance_path) / "files"
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def _photo_rows() -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(CasePhoto)) or 0)


def _responder(factory: Factory, agency: str = "PWD-MAINT") -> Actor:
    return factory.user("agency", agency=agency).actor


def _report(factory: Factory, case: Case, photos: list[Upload] = (), **kwargs) -> Case:  # type: ignore[assignment]
    return actions.report_back(
        session=db.session,
        actor=kwargs.pop("actor", None) or _responder(factory),
        case_no=case.case_no,
        version=kwargs.pop("version", case.version),
        text=kwargs.pop("text", "已移除倒木，車道恢復通行"),
        outcome=kwargs.pop("outcome", ReportOutcome.DONE),
        photos=photos,
        **kwargs,
    )


def test_a_report_keeps_its_outcome_and_photos_with_their_place_but_serves_them_bare(
    app: Flask, factory: Factory
) -> None:
    case = factory.case()
    uploads = [
        Upload("IMG_0001.JPG", photo_files.jpeg(orientation=6)),
        Upload("screen.png", photo_files.png()),
        Upload("IMG_0002.HEIC", photo_files.heic()),
    ]
    case = _report(factory, case, uploads)
    assert case.status is CaseStatus.REPORTED and case.report_outcome == "done"
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()[-1]
    assert event.event_type == "case_reported"
    assert event.payload["outcome"] == "done" and event.payload["photos"] == 3
    rows = db.session.scalars(select(CasePhoto).order_by(CasePhoto.id)).all()
    assert [row.event_id for row in rows] == [event.id] * 3
    assert {row.source for row in rows} == {"agency_report"}
    portrait = rows[0]
    assert (portrait.width, portrait.height) == (300, 400)  # the phone's orientation applied to the pixels
    assert portrait.gps_latitude == pytest.approx(photo_files.LATITUDE, abs=1e-4)
    assert portrait.gps_longitude == pytest.approx(photo_files.LONGITUDE, abs=1e-4)
    assert portrait.taken_at is not None and portrait.taken_at.isoformat() == "2026-11-30T13:15:00+00:00"
    assert rows[1].gps_latitude is None
    assert rows[2].gps_latitude == pytest.approx(photo_files.LATITUDE, abs=1e-4)
    storage = current_storage()
    for row in rows:
        for key in (row.image_key, row.thumb_key):
            with storage.open(key) as stored:
                image = Image.open(io.BytesIO(stored.read()))
            assert image.format == "JPEG"
            assert dict(image.getexif()) == {} and "exif" not in image.info
    assert len(_files(app)) == 6


@pytest.mark.parametrize(
    ("uploads", "error", "code"),
    [
        ([Upload("big.jpg", b"\xff\xd8" + b"0" * MAX_BYTES)], TooLarge, "photo.too_large"),
        ([Upload("notes.txt", "這不是照片".encode())], InvalidInput, "photo.not_an_image"),
        ([Upload("cut.jpg", photo_files.jpeg()[:600])], InvalidInput, "photo.not_an_image"),
        ([Upload("anim.gif", b"GIF89a" + b"\x00" * 100)], InvalidInput, "photo.not_an_image"),
        ([Upload(f"{n}.jpg", photo_files.jpeg(gps=False)) for n in range(6)], InvalidInput, "photo.too_many"),
        ([Upload("ok.jpg", photo_files.jpeg()), Upload("bad.jpg", b"nope")], InvalidInput, "photo.not_an_image"),
    ],
    ids=["over-10MB", "text", "truncated", "gif", "six-photos", "one-good-one-bad"],
)
def test_a_bad_upload_is_refused_and_nothing_is_stored(
    app: Flask, factory: Factory, uploads: list[Upload], error: type[Exception], code: str
) -> None:
    case = factory.case()
    before = case_state(case.case_no)
    with pytest.raises(error) as refusal:
        _report(factory, case, uploads)
    assert refusal.value.code == code  # type: ignore[attr-defined]
    assert case_state(case.case_no) == before
    assert _photo_rows() == 0 and _files(app) == []


def test_a_refused_report_deletes_the_photos_it_had_written(app: Flask, factory: Factory) -> None:
    case = factory.case()
    before = case_state(case.case_no)
    with pytest.raises(Conflict) as refusal:
        _report(factory, case, [Upload("a.jpg", photo_files.jpeg())], version=case.version + 5)
    assert refusal.value.code == "case.stale_version"
    assert case_state(case.case_no) == before
    assert _photo_rows() == 0 and _files(app) == []


def test_another_agencys_responder_cannot_report_and_learns_nothing(app: Flask, factory: Factory) -> None:
    case = factory.case()
    before = case_state(case.case_no)
    with pytest.raises(NotFound):
        _report(factory, case, [Upload("x.txt", b"not an image")], actor=_responder(factory, "EPB"))
    assert case_state(case.case_no) == before and _files(app) == []


def test_accepting_closes_the_case_and_tells_the_citizen_once(factory: Factory) -> None:
    case = factory.case(reporter_phone="0912-345-678", wants_sms_reply=True)
    case = _report(factory, case)
    assert "citizen_outcome" not in _kinds(case)  # not before the centre has accepted it
    supervisor = factory.user("supervisor").actor
    reported_version = case.version
    case = actions.close_case(
        session=db.session, actor=supervisor, case_no=case.case_no, version=reported_version, resolution="核可"
    )
    assert case.status is CaseStatus.CLOSED
    assert _kinds(case).count("citizen_outcome") == 1
    before = case_state(case.case_no)
    with pytest.raises(Conflict) as refusal:  # a second supervisor, with the page they read before
        actions.close_case(
            session=db.session, actor=supervisor, case_no=case.case_no, version=reported_version, resolution="核可"
        )
    assert refusal.value.code == "case.stale_version"
    assert case_state(case.case_no) == before and _kinds(case).count("citizen_outcome") == 1


def _kinds(case: Case) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(Notification.kind).where(Notification.case_id == case.id)))


def test_a_return_needs_a_reason_and_changes_nothing_without_one(factory: Factory) -> None:
    case = _report(factory, factory.case())
    before = case_state(case.case_no)
    for reason in ("", "   "):
        with pytest.raises(InvalidInput) as refusal:
            review.return_case(
                session=db.session, actor=factory.agent.actor, case_no=case.case_no, version=case.version, reason=reason
            )
        assert refusal.value.code == "case.return_needs_reason"
    assert case_state(case.case_no) == before


def test_a_return_sends_the_case_back_with_a_new_round_and_the_agency_alerted(factory: Factory) -> None:
    case = factory.case()
    case = _report(factory, case, outcome=ReportOutcome.SCHEDULED)
    reported_at, round_before = case.reported_at, case.sla_round
    sms_before = _kinds(case).count("dispatch_sms")
    case = review.return_case(
        session=db.session,
        actor=factory.user("supervisor").actor,
        case_no=case.case_no,
        version=case.version,
        reason="照片看不出已處理，請補充",
    )
    assert case.status is CaseStatus.ASSIGNED and case.sla_round == round_before + 1
    assert case.report_due_at is not None and case.report_due_at > case.assigned_at
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
    returned = next(e for e in event if e.event_type == "case_returned")
    assert returned.payload["reason"] == "照片看不出已處理，請補充"
    assert returned.payload["outcome"] == "scheduled"
    assert reported_at is not None and returned.payload["reported_at"] == reported_at.isoformat()
    assert _kinds(case).count("dispatch_sms") > sms_before  # the duty phones hear of it again
    responder = _responder(factory)
    board = agency_board(session=db.session, actor=responder, agency_id=case.agency_id or 0)
    assert [row.case_no for row in board.sections["returned"]] == [case.case_no]


def test_reports_awaiting_review_are_listed_longest_waiting_first(factory: Factory) -> None:
    first = _report(factory, factory.case())
    second = _report(factory, factory.case(address="鳳山區光復路二段2號"))
    factory.case(address="鳳山區光復路二段3號")  # not reported: not listed
    listed = review.awaiting_review(session=db.session)
    assert [row.case_no for row in listed.rows] == [first.case_no, second.case_no] and listed.total == 2


def test_a_reporters_photo_uses_the_same_storage_and_rows(app: Flask, factory: Factory) -> None:
    """The pieces a later channel (the citizen's own photos) will call, in a transaction of its own."""
    from app.cases import photos
    from app.db import utcnow, write_transaction
    from app.vocabulary import PhotoSource

    case = factory.case()
    prepared = photos.prepare([photo_files.upload()], tz=factory.tz)
    now = utcnow()
    with photos.stored(prepared, current_storage(), now) as saved, write_transaction(db.session):
        photos.add_rows(
            db.session, case, saved, source=PhotoSource.REPORTER, actor=factory.agent.actor, event=None, now=now
        )
    row = db.session.scalar(select(CasePhoto))
    assert row is not None and row.source == "reporter" and row.event_id is None and row.gps_latitude is not None
    assert len(_files(app)) == 2

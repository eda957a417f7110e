"""Issue 11: text and queries normalised alike (NFKC, 台/臺) at index and query time, on both databases;
the migration re-indexes what was there; the index holds no phone digits a masked view cannot see."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from app import create_app
from app.database_admin import drop_postgres_database, recreate_postgres_database
from app.db import db
from app.reference.cache import reference_cache
from app.reference.seed import seed_reference_data
from config.settings import REFERENCE_DIR
from tests.conftest import POSTGRES, TZ, _settings
from tests.factories import Factory

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")


def _found(user: object, query: str) -> set[str]:
    response = user.get("/cases", query_string={"q": query})  # type: ignore[attr-defined]
    assert response.status_code == 200, response.get_json()
    return {case["case_no"] for case in response.get_json()["items"]}


@pytest.mark.parametrize(
    ("written", "queries"),
    [
        ("三民區建工路４１５號前人孔蓋破損", ["建工路415", "建工路４１５", "415號"]),
        ("建工路415號前人孔蓋破損", ["建工路４１５", "４１５號"]),
        ("卡拉ＯＫ噪音到凌晨", ["卡拉OK", "卡拉ok", "拉OK噪"]),
        ("路面坑洞約３０公分深", ["30公分", "３０公分", "0公"]),
        ("臺灣大道路燈不亮", ["台灣大道", "臺灣大道", "台灣"]),
        ("台北路口號誌故障", ["臺北路口", "臺北"]),
    ],
)
def test_half_and_full_width_and_both_tai_find_each_other(factory: Factory, written: str, queries: list[str]) -> None:
    case = factory.case(description=written)
    factory.case(description="無關的案件")
    for query in queries:
        assert _found(factory.agent, query) == {case.case_no}, query


def test_a_full_width_case_number_finds_its_case(factory: Factory) -> None:
    case = factory.case()
    full_width = case.case_no.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    assert _found(factory.agent, full_width) == {case.case_no}


def test_phone_digits_in_free_text_cannot_be_searched_for(factory: Factory) -> None:
    case = factory.case(description="民眾請回電0921363979，謝謝")
    responder = factory.user("agency", agency="PWD-MAINT")
    for query in ("電0921363", "363979", "363", "回電0921363979"):
        assert _found(responder, query) == set(), query
    assert _found(responder, "0921") == {case.case_no}  # what the mask shows may be searched for
    assert _found(responder, "請回電") == {case.case_no}


def test_the_migration_reindexes_existing_cases(tmp_path: Path) -> None:
    if POSTGRES:
        base = make_url(os.environ["TEST_DATABASE_URL"])
        url = base.set(database=f"{base.database}_migration").render_as_string(hide_password=False)
        url = url.replace("postgresql://", "postgresql+psycopg://")
        recreate_postgres_database(url)
    else:
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
    reference_cache.clear()
    app = create_app(_settings(url, tmp_path), TESTING=True)
    try:
        with app.app_context():
            upgrade(directory=MIGRATIONS)
            seed_reference_data(session=db.session, directory=REFERENCE_DIR)
            factory = Factory(app=app, client=app.test_client(), tz=TZ)
            case = factory.case(description="臺灣大道卡拉ＯＫ噪音")
            db.session.remove()
            downgrade(directory=MIGRATIONS, revision="-1")  # the indexes as they were before 0010
            upgrade(directory=MIGRATIONS)  # ... and re-indexed
            reference_cache.clear()
            for query in ("台灣大道", "卡拉OK", "拉ok噪"):
                assert _found(factory.agent, query) == {case.case_no}, query
            db.session.remove()
            db.engine.dispose()
    finally:
        reference_cache.clear()
        if POSTGRES:
            drop_postgres_database(url)

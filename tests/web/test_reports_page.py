"""The mayor's office page (/console/reports): month picker, summary with charts and tables, downloads, freeze."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from app.db import db
from app.models import ReportSnapshot
from app.vocabulary import Role
from tests.factories import Factory
from tests.reports.scenario import build_july
from tests.web.conftest import csrf_token, log_in, log_in_client, serious_violations


@pytest.fixture
def july(app: Flask, factory: Factory) -> None:
    build_july(factory)


def test_who_may_see_and_what_a_bad_month_says(client: FlaskClient, july: None, make_login) -> None:
    log_in_client(client, make_login(Role.AGENT, None))
    assert client.get("/console/reports?month=2023-07").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/console/intake")})
    log_in_client(client, make_login(Role.SUPERVISOR, None))
    page = client.get("/console/reports?month=2023-07")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "112年7月摘要" in html and "工務局養護工程處" in html and "樣本過少" in html
    assert 'role="img"' in html and "reports.freeze" not in html
    assert "凍結本月報表以供簽核" not in html  # supervisors read, they do not freeze
    bad = client.get("/console/reports?month=2023-13")
    assert bad.status_code == 422 and "YYYY-MM" in bad.get_data(as_text=True)
    future = client.get("/console/reports?month=2999-01&lang=en")
    assert future.status_code == 422 and "has not begun" in future.get_data(as_text=True)
    assert "Jan 2999 (ROC 1088)" in future.get_data(as_text=True) and "1088年" not in future.get_data(as_text=True)
    download = client.get("/console/reports/2023-07.xlsx")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(download.data))["摘要"]["A1"].value == "112年7月 摘要"
    assert client.get("/console/reports/2023-07.doc").status_code == 404
    pdf = client.get("/console/reports/2023-07.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_freezing_twice_shows_the_conflict_and_changes_nothing(client: FlaskClient, july: None, make_login) -> None:
    log_in_client(client, make_login(Role.MAYOR_OFFICE, None))
    token = csrf_token(client, "/console/reports?month=2023-07")
    first = client.post("/console/reports/2023-07/freeze", data={"csrf_token": token})
    assert first.status_code == 302
    second = client.post("/console/reports/2023-07/freeze", data={"csrf_token": token})
    assert second.status_code == 409 and "不能再凍結一次" in second.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ReportSnapshot)) == 1


def test_the_page_in_a_browser(page: Page, context, july: None, make_login, tmp_path: Path) -> None:
    mayor = make_login(Role.MAYOR_OFFICE, None)
    log_in(page, mayor)
    page.goto("/console/reports")
    page.get_by_label("月份", exact=True).fill("2023-07")
    page.get_by_role("button", name="顯示").click()
    expect(page.get_by_role("heading", name="112年7月摘要")).to_be_visible()
    expect(page.locator('table[data-table="agencies"] tbody tr').first).to_contain_text("工務局養護工程處")
    expect(page.locator("figure.chart svg[role=img]")).to_have_count(3)
    page.set_viewport_size({"width": 1280, "height": 800})
    assert serious_violations(page) == []
    page.screenshot(path=str(tmp_path / "reports-zh.png"), full_page=True)  # for a person to look at

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下載 Excel (XLSX)").click()
    download = download_info.value
    assert download.suggested_filename == "monthly-report-2023-07.xlsx"
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert workbook["各機關處理績效"]["B3"].value == "工務局養護工程處"

    # A second tab opened before the freeze still offers it: its try is the second, and is refused.
    other = context.new_page()
    other.goto("/console/reports?month=2023-07")
    page.get_by_role("button", name="凍結本月報表以供簽核").click()
    expect(page.locator(".notice")).to_contain_text("已凍結簽核")
    expect(page.locator("#freeze-status")).to_contain_text(mayor.username)
    other.get_by_role("button", name="凍結本月報表以供簽核").click()
    expect(other.get_by_role("alert")).to_contain_text("不能再凍結一次")

    page.goto("/console/reports?month=2023-07&lang=en")
    # In English the months read "Jul 2023 (ROC 112)"; no 年/月 is left in the summary, comparison or trend.
    expect(page.get_by_role("heading", name=re.compile(r"Summary for Jul 2023 \(ROC 112\)"))).to_be_visible()
    expect(page.locator('table[data-table="comparison"] thead')).to_contain_text("Jun 2023 (ROC 112)")
    expect(page.locator('table[data-table="comparison"] thead')).to_contain_text("Jul 2022 (ROC 111)")
    expect(page.locator('table[data-table="trend"] tbody tr').last).to_contain_text("Jul 2023 (ROC 112)")
    expect(page.locator('table[data-table="summary"]')).to_contain_text("Jul 2023 (ROC 112)")
    assert not re.search(r"\d+年\d+月", page.locator("main").inner_text())
    assert serious_violations(page) == []
    page.screenshot(path=str(tmp_path / "reports-en.png"), full_page=True)

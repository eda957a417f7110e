"""The July report as files: XLSX read back with openpyxl, CSV with its BOM, PDF turned back into text."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook

from app.db import db
from app.reports.exports import export
from app.reports.freeze import report_view
from app.reports.months import Month
from tests.factories import Factory
from tests.reports.scenario import TZ, at, build_july

NOW = at(8, 15, 12)


@pytest.fixture
def report(app: Flask, factory: Factory) -> dict[str, Any]:
    build_july(factory)
    reader = factory.user("mayor_office").actor
    return report_view(db.session, reader, Month(2023, 7), tz=TZ, now=NOW).as_dict(TZ)


def test_xlsx_has_a_summary_and_a_sheet_per_table_with_numbers_as_numbers(report: dict[str, Any]) -> None:
    workbook = load_workbook(io.BytesIO(export(report, "xlsx")))
    assert workbook.sheetnames[:3] == ["摘要", "各機關處理績效", "與上月及去年同月比較"]
    assert {"來電結果", "案件類型", "來源管道", "案件類別", "行政區", "近 12 個月趨勢"} <= set(workbook.sheetnames)
    summary = workbook["摘要"]
    assert summary["A1"].value == "112年7月 摘要"
    assert (summary["A2"].value, summary["B2"].value) == ("項目", "數值")
    values = {summary.cell(row=row, column=1).value: summary.cell(row=row, column=2).value for row in range(3, 20)}
    assert values["月份"] == "112年7月"
    assert values["受理案件數"] == 35
    assert values["立即回覆率 (%)"] == 75.0
    assert values["滿意度 (%)"] == "本月無滿意度調查資料"
    agencies = workbook["各機關處理績效"]
    headers = [cell.value for cell in agencies[2]]
    assert headers[:5] == ["排名", "機關", "受理件數", "時限內確認率 (%)", "時限內回報率 (%)"]
    first = [cell.value for cell in agencies[3]]
    assert first[:5] == [1, "工務局養護工程處", 30, 60.0, 96.7]
    assert isinstance(first[2], int) and agencies["E3"].number_format == "0.0"
    assert agencies.freeze_panes == "A3"
    assert agencies.page_setup.orientation == "landscape" and agencies.page_setup.paperSize == 9
    assert agencies.column_dimensions["B"].width >= 16
    tiny = next(row for row in agencies.iter_rows(min_row=3, values_only=True) if row[1] == "水利局")
    assert (tiny[0], tiny[2], tiny[-1]) == (None, 1, "樣本過少")


def test_csv_is_one_file_per_table_in_utf8_with_bom(report: dict[str, Any]) -> None:
    archive = zipfile.ZipFile(io.BytesIO(export(report, "csv")))
    assert {"summary.csv", "agencies.csv", "calls.csv", "trend.csv"} <= set(archive.namelist())
    raw = archive.read("agencies.csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["排名", "機關", "受理件數"]
    assert rows[1][:5] == ["1", "工務局養護工程處", "30", "60.0", "96.7"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_pdf_has_the_chinese_headings_figures_page_numbers_and_signatures(
    report: dict[str, Any], tmp_path: Path
) -> None:
    pdf = tmp_path / "july.pdf"
    pdf.write_bytes(export(report, "pdf"))
    command = [shutil.which("pdftotext") or "pdftotext", "-layout", str(pdf), "-"]
    text = subprocess.run(command, capture_output=True, check=True, text=True).stdout  # noqa: S603 - our own file
    for words in (
        "1999 市民服務專線各機關處理績效月報",
        "112年7月",
        "各機關處理績效",
        "工務局養護工程處",
        "市長",
        "承辦人",
    ):
        assert words in text
    assert "96.7" in text and "樣本過少" in text
    assert "近 12 個月受理案件數" in text  # a chart's caption
    pages = text.count("\f")
    assert re.search(rf"\b1\s*/\s*{pages}\b", text) and re.search(rf"\b{pages}\s*/\s*{pages}\b", text)  # page numbers

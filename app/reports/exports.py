"""The report as files: XLSX (openpyxl), CSV (UTF-8 with BOM, one per table, in a ZIP) and PDF (WeasyPrint).

Headers are zh-TW; numbers stay numbers (a percentage is the number 96.7 in a "(%)" column).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Mapping
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.reports.tables import Table, Words, report_tables

FORMATS = ("xlsx", "csv", "pdf")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "application/zip",
    "pdf": "application/pdf",
}
NUMBER_FORMATS = {"int": "#,##0", "pct": "0.0", "num": "0.0", "hours": "0.00", "mixed": "General"}
HEADER_FILL = PatternFill("solid", fgColor="DCE6F0")
THIN = Side(style="thin", color="A0A0A0")
FONT_NAME = "Noto Sans CJK TC"
Progress = Callable[[str], None]


def file_name(report: Mapping[str, Any], fmt: str) -> str:
    extension = "zip" if fmt == "csv" else fmt
    return f"monthly-report-{report['month']}.{extension}"


def export(report: Mapping[str, Any], fmt: str, progress: Progress | None = None) -> bytes:
    """The report in one of FORMATS; `progress` is told each step (the CLI's progress bar)."""
    step = progress or (lambda _name: None)
    words = Words()
    tables = report_tables(report, words)
    step("tables")
    if fmt == "xlsx":
        return to_xlsx(report, tables, step)
    if fmt == "csv":
        return to_csv_zip(tables, step)
    if fmt == "pdf":
        from app.reports.pdf import to_pdf  # WeasyPrint loads Pango: only when a PDF is asked for

        return to_pdf(report, tables, words, step)
    raise ValueError(f"unknown format {fmt!r}")


def to_xlsx(report: Mapping[str, Any], tables: list[Table], step: Progress) -> bytes:
    workbook = Workbook()
    first = True
    for table in tables:
        sheet = workbook.active if first else workbook.create_sheet()
        assert sheet is not None
        first = False
        _fill_sheet(sheet, table, f"{report['roc_month']} {table.title}")
        step(table.key)
    workbook.properties.title = f"{report['roc_month']} 1999 市民服務專線月報"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fill_sheet(sheet: Worksheet, table: Table, heading: str) -> None:
    # Sheet names: at most 31 characters and none of []:*?/\ .
    sheet.title = "".join(ch for ch in table.title if ch not in "[]:*?/\\")[:31]
    sheet.cell(row=1, column=1, value=heading).font = Font(name=FONT_NAME, bold=True, size=14)
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=2, column=index, value=column.label)
        cell.font = Font(name=FONT_NAME, bold=True)
        cell.fill = HEADER_FILL
        cell.border = Border(bottom=THIN)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row_index, row in enumerate(table.rows, start=3):
        for index, (column, value) in enumerate(zip(table.columns, row, strict=True), start=1):
            cell = sheet.cell(row=row_index, column=index, value=value)
            cell.font = Font(name=FONT_NAME)
            if isinstance(value, int | float):
                cell.number_format = NUMBER_FORMATS.get(column.kind, "General")
    if table.note:
        note_row = len(table.rows) + 4
        sheet.cell(row=note_row, column=1, value=table.note).font = Font(name=FONT_NAME, italic=True, size=9)
    for index, column in enumerate(table.columns, start=1):
        longest = max([_width(column.label), *(_width(row[index - 1]) for row in table.rows)])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(longest + 2, 8), 48)
    sheet.freeze_panes = "A3"  # the title and the header row stay on screen
    sheet.print_title_rows = "2:2"  # and on every printed page
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddFooter.center.text = "&P / &N"


def _width(value: Any) -> int:
    """Display width: a CJK character takes two columns."""
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def to_csv_zip(tables: list[Table], step: Progress) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            archive.writestr(f"{table.key}.csv", to_csv(table))
            step(table.key)
    return buffer.getvalue()


def to_csv(table: Table) -> bytes:
    """One table as CSV in UTF-8 with a BOM, so Excel reads the Chinese headers correctly."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([column.label for column in table.columns])
    writer.writerows(["" if value is None else value for value in row] for row in table.rows)
    return text.getvalue().encode("utf-8-sig")

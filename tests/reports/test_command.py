"""`flask report monthly`: a file per format, and a clear refusal for a bad month or a path that cannot be written."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import load_workbook

from tests.factories import Factory
from tests.reports.scenario import build_july


@pytest.fixture
def july(app: Flask, factory: Factory) -> None:
    build_july(factory)


def _run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["report", "monthly", *args])
    return result.exit_code, result.output


def test_writes_the_xlsx_and_csv(app: Flask, july: None, tmp_path: Path) -> None:
    out = tmp_path / "july.xlsx"
    code, output = _run(app, "--month", "2023-07", "--format", "xlsx", "--out", str(out))
    assert code == 0, output
    sheet = load_workbook(io.BytesIO(out.read_bytes()))["摘要"]
    assert sheet["A1"].value == "112年7月 摘要"
    code, output = _run(app, "--month", "2023-07", "--format", "csv", "--out", str(tmp_path / "july.zip"))
    assert code == 0 and (tmp_path / "july.zip").stat().st_size > 0, output


@pytest.mark.parametrize(
    ("month", "words"),
    [("2023-7x", "YYYY-MM"), ("2099-01", "尚未開始"), ("2020-01", "沒有任何案件或來電")],
)
def test_a_bad_month_is_refused_with_a_reason(app: Flask, july: None, tmp_path: Path, month: str, words: str) -> None:
    out = tmp_path / "r.xlsx"
    code, output = _run(app, "--month", month, "--format", "xlsx", "--out", str(out))
    assert code != 0 and words in output
    assert not out.exists()


def test_a_path_that_cannot_be_written_is_refused(app: Flask, july: None, tmp_path: Path) -> None:
    code, output = _run(app, "--month", "2023-07", "--format", "pdf", "--out", str(tmp_path / "missing" / "r.pdf"))
    assert code != 0 and "does not exist" in output
    code, output = _run(app, "--month", "2023-07", "--format", "xlsx", "--out", str(tmp_path))
    assert code != 0 and "is a directory" in output


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_a_failed_write_is_a_message_and_a_non_zero_exit(app: Flask, july: None) -> None:
    # /dev/full takes the open and refuses the write (no space left), whoever runs the tests.
    code, output = _run(app, "--month", "2023-07", "--format", "csv", "--out", "/dev/full")
    assert code != 0 and "/dev/full" in output

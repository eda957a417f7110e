"""`flask demo generate`: a month written with a progress bar and checked, and a second run refused."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from app.db import db
from app.models import Call, Case


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_generate_writes_checks_and_refuses_to_double(app: Flask) -> None:
    runner = app.test_cli_runner()
    args = ["demo", "generate", "--from", "2022-02", "--months", "1", "--scale", "0.005", "--seed", "9"]

    result = runner.invoke(args=[*args, "--check", "500"])
    assert result.exit_code == 0, result.output
    assert "mismatch" in result.output and ": 0 mismatch(es)" in result.output
    cases, calls = _count(Case), _count(Call)
    assert cases > 50 and calls > 200

    again = runner.invoke(args=args)
    assert again.exit_code != 0
    assert "already received" in again.output
    assert (_count(Case), _count(Call)) == (cases, calls)

    quiet = runner.invoke(args=[*args, "--if-empty"])
    assert quiet.exit_code == 0 and "not generated" in quiet.output
    assert (_count(Case), _count(Call)) == (cases, calls)


def test_a_month_is_asked_for_as_year_and_month(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "generate", "--from", "February"])
    assert result.exit_code != 0 and "YYYY-MM" in result.output
    assert _count(Case) == 0

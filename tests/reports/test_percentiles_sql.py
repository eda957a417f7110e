"""The database's percentiles are the pure nearest-rank definition, on SQLite (window functions) and on
PostgreSQL (percentile_disc), for every sample size from 1 to 40 and ties."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import insert, select

from app.db import db
from app.models import Agency, Case, Category
from app.reports.aggregates import percentiles
from app.reports.rules import PERCENTILES, nearest_rank
from app.vocabulary import CaseStatus, CaseType, Channel

START = datetime(2023, 6, 30, 16, tzinfo=UTC)  # July 2023 in Taipei
END = datetime(2023, 7, 31, 16, tzinfo=UTC)


def test_sql_percentiles_are_nearest_rank(app: Flask) -> None:
    # Rows written straight into the table: only the columns the aggregate reads matter here, and 800
    # cases through the services would say nothing more about a percentile.
    rng = random.Random(7)
    agencies = db.session.scalars(select(Agency.id).order_by(Agency.id).limit(40)).all()
    assert len(agencies) == 40
    category = db.session.scalar(select(Category.id).where(Category.code == "fallen_tree"))
    expected: dict[int, list[int]] = {}
    rows = []
    for size, agency_id in enumerate(agencies, start=1):
        values = [rng.choice([60, 300, 300, 900, rng.randint(1, 100_000)]) for _ in range(size)]
        expected[agency_id] = values
        for number, value in enumerate(values):
            received = START + timedelta(hours=1 + number)
            rows.append(
                {
                    "case_no": f"P{agency_id:04d}-{number:04d}",
                    "case_type": CaseType.DISPATCH,
                    "channel": Channel.PHONE,
                    "status": CaseStatus.REPORTED,
                    "category_id": category,
                    "agency_id": agency_id,
                    "description": "percentile",
                    "received_at": received,
                    "created_at": received,
                    "updated_at": received,
                    "version": 1,
                    "report_clock_seconds": value,
                    "report_window_seconds": 14_400,
                }
            )
    db.session.execute(insert(Case), rows)
    db.session.commit()
    found = percentiles(db.session, Case.report_clock_seconds, START, END)
    for agency_id, values in expected.items():
        assert found[agency_id] == {p: nearest_rank(values, p) for p in PERCENTILES}, (len(values), sorted(values))
    overall = percentiles(db.session, Case.report_clock_seconds, START, END, by_agency=False)[None]
    every = [value for values in expected.values() for value in values]
    assert overall == {p: nearest_rank(every, p) for p in PERCENTILES}

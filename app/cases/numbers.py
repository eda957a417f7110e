"""Case numbers: the ROC date of intake plus a daily sequence, e.g. 1121106-0042."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import CaseNumberCounter

ROC_EPOCH_OFFSET = 1911
CASE_NO_PATTERN = re.compile(r"^\d{6,7}-\d{4,6}$")


def roc_date_digits(day: date) -> str:
    """2023-11-06 -> '1121106' (民國112年11月6日)."""
    return f"{day.year - ROC_EPOCH_OFFSET}{day.month:02d}{day.day:02d}"


def format_case_no(day: date, sequence: int) -> str:
    return f"{roc_date_digits(day)}-{sequence:04d}"


def next_case_no(session: Session, *, now: datetime, tz: ZoneInfo) -> str:
    """Take the next number for today in one atomic upsert.

    The counter row stays locked until the surrounding transaction ends, so concurrent
    intakes queue on it (PostgreSQL) or on the write lock (SQLite) and never share a number;
    a rolled-back intake gives its number back.
    """
    day = now.astimezone(tz).date()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(CaseNumberCounter)
        .values(day=day, last_seq=1)
        .on_conflict_do_update(
            index_elements=[CaseNumberCounter.day],
            set_={"last_seq": CaseNumberCounter.last_seq + 1},
        )
        .returning(CaseNumberCounter.last_seq)
    )
    sequence = session.execute(statement).scalar_one()
    return format_case_no(day, sequence)

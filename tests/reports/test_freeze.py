"""Freezing July for sign-off: once, by the roles allowed, and never changed by later data."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.db import db
from app.errors import Conflict, Forbidden
from app.models import AdminChange, ReportSnapshot
from app.reports.freeze import freeze_month, report_view
from app.reports.months import Month
from tests.factories import Factory
from tests.reports.scenario import TZ, at, build_july

JULY = Month(2023, 7)


@pytest.fixture
def july(app: Flask, factory: Factory) -> dict[str, str]:
    return build_july(factory)


def test_a_frozen_month_keeps_its_figures_and_shows_later_corrections(july: dict[str, str], factory: Factory) -> None:
    mayor = factory.user("mayor_office").actor
    freeze_month(session=db.session, actor=mayor, month=JULY, tz=TZ, now=at(8, 15, 12))
    signed = report_view(db.session, mayor, JULY, tz=TZ, now=at(8, 15, 13))
    assert signed.frozen is not None and signed.frozen.frozen_by == mayor.username
    assert signed.differences == []

    # A case of July 25 recorded late (on August 20): the live figures move, the signed ones do not.
    factory.case(now=at(8, 20, 9), received_at=at(7, 25, 9))
    later = report_view(db.session, mayor, JULY, tz=TZ, now=at(8, 20, 10))
    assert later.figures["cases"]["total"] == 35
    assert next(row for row in later.figures["agencies"] if row["key"] == "PWD-MAINT")["received"] == 30
    changed = {item["path"]: (item["frozen"], item["live"]) for item in later.differences}
    assert changed["cases.total"] == (35, 36)
    assert changed["agencies.PWD-MAINT.received"] == (30, 31)


def test_freezing_twice_is_a_conflict_and_changes_nothing(july: dict[str, str], factory: Factory) -> None:
    admin = factory.user("admin").actor
    freeze_month(session=db.session, actor=admin, month=JULY, tz=TZ, now=at(8, 15, 12))
    with pytest.raises(Conflict) as refused:
        freeze_month(session=db.session, actor=factory.user("mayor_office").actor, month=JULY, tz=TZ, now=at(8, 16, 9))
    assert refused.value.code == "report.already_frozen"
    assert refused.value.params["frozen_by"] == admin.username
    assert db.session.scalar(select(func.count()).select_from(ReportSnapshot)) == 1
    frozen_changes = select(func.count()).select_from(AdminChange).where(AdminChange.object_type == "monthly_report")
    assert db.session.scalar(frozen_changes) == 1


def test_only_the_mayors_office_and_admins_freeze_and_only_closed_months(
    july: dict[str, str], factory: Factory
) -> None:
    with pytest.raises(Forbidden):
        freeze_month(session=db.session, actor=factory.user("supervisor").actor, month=JULY, tz=TZ, now=at(8, 15, 9))
    with pytest.raises(Forbidden):
        report_view(db.session, factory.user("agent").actor, JULY, tz=TZ, now=at(8, 15, 9))
    with pytest.raises(Conflict) as open_month:
        freeze_month(
            session=db.session, actor=factory.user("admin").actor, month=Month(2023, 8), tz=TZ, now=at(8, 15, 9)
        )
    assert open_month.value.code == "report.month_not_closed"
    assert db.session.scalar(select(func.count()).select_from(ReportSnapshot)) == 0


def test_the_database_refuses_to_change_a_frozen_report(july: dict[str, str], factory: Factory) -> None:
    freeze_month(session=db.session, actor=factory.user("admin").actor, month=JULY, tz=TZ, now=at(8, 15, 12))
    with pytest.raises(DBAPIError):
        db.session.execute(text("UPDATE report_snapshots SET month = '2023-06'"))
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(ReportSnapshot.month)) == "2023-07"

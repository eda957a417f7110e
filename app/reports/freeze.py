"""Freezing a closed month for sign-off, and the report as a reader sees it: frozen figures first.

A frozen report never changes (the database refuses to update a snapshot); figures computed later
from the trail are shown as differences against it, so a correction after sign-off is visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.access import Actor
from app.admin_audit import record_admin_change
from app.db import write_transaction
from app.errors import Conflict, Forbidden
from app.models import ReportSnapshot
from app.reports.monthly import DEFINITIONS_VERSION, check_month, monthly_report
from app.reports.months import Month
from app.reports.rules import differences
from app.vocabulary import Role

KIND = "monthly"
# Who may read the report, and who may freeze it for the mayor's signature (docs/reports.md).
READERS = frozenset({Role.MAYOR_OFFICE, Role.SUPERVISOR, Role.ADMIN})
FREEZERS = frozenset({Role.MAYOR_OFFICE, Role.ADMIN})
# Figures that differ every time they are computed and say nothing about the month.
VOLATILE = ("as_of", "days", "complete")


def require_reader(actor: Actor) -> None:
    if actor.role not in READERS:
        raise Forbidden("auth.forbidden", role=actor.role.value)


@dataclass(frozen=True)
class Frozen:
    """Who froze the month, when, and under which definitions."""

    frozen_at: datetime
    frozen_by: str
    app_version: str

    @classmethod
    def of(cls, snapshot: ReportSnapshot) -> Frozen:
        return cls(snapshot.frozen_at, snapshot.frozen_by_name, snapshot.app_version)

    def as_dict(self, tz: ZoneInfo) -> dict[str, str]:
        return {
            "frozen_at": self.frozen_at.astimezone(tz).isoformat(timespec="seconds"),
            "frozen_by": self.frozen_by,
            "app_version": self.app_version,
        }


@dataclass(frozen=True)
class ReportView:
    """The figures to show (frozen if the month is frozen), and what changed since."""

    month: Month
    figures: dict[str, Any]
    frozen: Frozen | None
    differences: list[dict[str, Any]]

    def as_dict(self, tz: ZoneInfo) -> dict[str, Any]:
        return {
            **self.figures,
            "frozen": self.frozen.as_dict(tz) if self.frozen else None,
            "differences": self.differences,
        }


def snapshot_of(session: Session, month: Month) -> ReportSnapshot | None:
    return session.scalar(select(ReportSnapshot).where(ReportSnapshot.kind == KIND, ReportSnapshot.month == str(month)))


def report_view(session: Session, actor: Actor, month: Month, *, tz: ZoneInfo, now: datetime) -> ReportView:
    """The month's report for a reader: checked, frozen figures if frozen, with the live differences."""
    require_reader(actor)
    check_month(session, month, tz=tz, now=now)
    live = monthly_report(session, month, tz=tz, now=now)
    snapshot = snapshot_of(session, month)
    if snapshot is None:
        return ReportView(month, live, None, [])
    found = differences(_stable(snapshot.figures), _stable(live))
    return ReportView(month, snapshot.figures, Frozen.of(snapshot), found)


def freeze_month(*, session: Session, actor: Actor, month: Month, tz: ZoneInfo, now: datetime) -> ReportSnapshot:
    """Freeze a closed month as it stands now, once: a second freeze is a conflict (409)."""
    if actor.role not in FREEZERS:
        raise Forbidden("auth.forbidden", role=actor.role.value)
    check_month(session, month, tz=tz, now=now)
    if month.end(tz) > now:
        raise Conflict("report.month_not_closed", month=month.roc)
    try:
        with write_transaction(session):
            existing = snapshot_of(session, month)
            if existing is not None:
                raise _already(existing, tz)
            figures = monthly_report(session, month, tz=tz, now=now)
            snapshot = ReportSnapshot(
                kind=KIND,
                month=str(month),
                frozen_at=now,
                frozen_by_id=actor.user_id,
                frozen_by_name=actor.username,
                app_version=DEFINITIONS_VERSION,
                figures=figures,
            )
            session.add(snapshot)
            record_admin_change(
                session,
                actor=actor,
                object_type="monthly_report",
                object_key=str(month),
                action="frozen",
                before=None,
                after={"month": str(month), "definitions": DEFINITIONS_VERSION},
                occurred_at=now,
            )
    except IntegrityError:
        # Two freezes at once: the unique (kind, month) lets one in; the other is told who won.
        session.rollback()
        winner = snapshot_of(session, month)
        assert winner is not None
        raise _already(winner, tz) from None
    return snapshot


def _already(snapshot: ReportSnapshot, tz: ZoneInfo) -> Conflict:
    return Conflict(
        "report.already_frozen",
        month=Month.parse(snapshot.month).roc,
        frozen_by=snapshot.frozen_by_name,
        frozen_at=snapshot.frozen_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
    )


def _stable(figures: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in figures.items() if key not in VOLATILE}

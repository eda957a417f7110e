"""Bulk actions for a surge (颱風): many cases, one confirmation, and still one transaction and one event per case.

Each case goes through its own service function with the version the supervisor saw, so a case that changed
meanwhile (acknowledged by its agency, merged by someone else) is refused on its own with the reason, and the
others go ahead: each case succeeds or says why, and nothing is half done within one case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import Actor
from app.cases import actions
from app.cases.clusters import Report
from app.db import utcnow
from app.errors import DomainError
from app.models import Case, Category, District
from app.vocabulary import CaseStatus

BULK_MAX = 500  # cases in one bulk action: a typhoon night's worth for one road
SURGE_WINDOW_MAX = 2000  # reports read for the surge page


@dataclass(frozen=True)
class Outcome:
    """One case's result: done, or refused with a message code and its parameters."""

    case_no: str
    done: bool
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    """A case as the supervisor saw it: its number and version."""

    case_no: str
    version: int


def _each(session: Session, seen: Sequence[Seen], apply: Callable[[Seen], Case]) -> list[Outcome]:
    """`apply` (a single-case service: one transaction) to each case in turn, keeping each refusal's reason."""
    outcomes = []
    for item in seen[:BULK_MAX]:
        try:
            apply(item)
        except DomainError as error:
            session.rollback()
            outcomes.append(Outcome(item.case_no, False, error.code, dict(error.params)))
        else:
            outcomes.append(Outcome(item.case_no, True))
    return outcomes


def bulk_merge(
    *,
    session: Session,
    actor: Actor,
    parent_case_no: str,
    cases: Sequence[Seen],
    reason: str | None = None,
    now: datetime | None = None,
) -> list[Outcome]:
    """併案 a cluster into one parent case: each other case is merged into it in a transaction of its own."""
    now = now or utcnow()
    return _each(
        session,
        [item for item in cases if item.case_no != parent_case_no],
        lambda item: actions.merge_case(
            session=session,
            actor=actor,
            case_no=item.case_no,
            version=item.version,
            into_case_no=parent_case_no,
            reason=reason,
            now=now,
        ),
    )


def bulk_acknowledge(
    *, session: Session, actor: Actor, cases: Sequence[Seen], text: str = "", now: datetime | None = None
) -> list[Outcome]:
    """收到 for many dispatches at once; the one text, if any, is kept on each case's acknowledgement."""
    now = now or utcnow()
    via = {"note": text.strip()} if text.strip() else None
    return _each(
        session,
        cases,
        lambda item: actions.acknowledge_case(
            session=session, actor=actor, case_no=item.case_no, version=item.version, now=now, via=via
        ),
    )


def bulk_close(
    *, session: Session, actor: Actor, cases: Sequence[Seen], text: str, now: datetime | None = None
) -> list[Outcome]:
    """結案 many cases with one resolution text (each case's own close: reported cases, consultations)."""
    now = now or utcnow()
    return _each(
        session,
        cases,
        lambda item: actions.close_case(
            session=session, actor=actor, case_no=item.case_no, version=item.version, resolution=text, now=now
        ),
    )


@dataclass(frozen=True)
class SurgeCase:
    case_no: str
    version: int
    status: str
    agency_id: int | None
    report: Report


def surge_cases(*, session: Session, since: datetime, limit: int = SURGE_WINDOW_MAX) -> list[SurgeCase]:
    """Open cases received since `since` (the last hour), oldest first, with what clustering needs."""
    rows = session.execute(
        select(
            Case.case_no,
            Case.version,
            Case.status,
            Case.agency_id,
            Case.address,
            Case.received_at,
            District.code,
            Category.code,
        )
        .join(Category, Category.id == Case.category_id)
        .outerjoin(District, District.id == Case.district_id)
        .where(
            Case.received_at >= since,
            Case.status.in_((CaseStatus.NEW, CaseStatus.ASSIGNED, CaseStatus.ACKNOWLEDGED, CaseStatus.REPORTED)),
        )
        .order_by(Case.received_at, Case.id)
        .limit(limit)
    ).all()
    return [
        SurgeCase(
            case_no,
            version,
            status.value,
            agency_id,
            Report(case_no, district or "", category, address or "", received_at),
        )
        for case_no, version, status, agency_id, address, received_at, district, category in rows
    ]

"""Alert ladders edited by administrators, like SLA policies: a change is a new version that new
dispatches get, while a case already climbing keeps the version it started with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access import Actor
from app.admin_audit import changed_fields, record_admin_change
from app.db import write_transaction
from app.errors import N_, Conflict, InvalidInput, NotFound
from app.models import AlertLadderVersion, Case
from app.reference.admin_policies import format_window, require_admin
from app.reference.cache import reference_cache
from app.vocabulary import OPEN_STATUSES
from dispatch.ladder import LadderPolicy
from sla.policy import ClockKind, PolicyError, parse_window

FIELDS = ("call_duty_after", "call_supervisor_after", "repeat_every")


@dataclass(frozen=True)
class LadderOverview:
    key: str
    version: int
    ladder: LadderPolicy
    open_by_version: dict[int, int]


def ladder_values(ladder: LadderPolicy) -> dict[str, str]:
    return {name: format_window(getattr(ladder, name), ClockKind.WALL) for name in FIELDS}


def ladder_overview(session: Session) -> list[LadderOverview]:
    """Every current ladder with its version and the open cases on each of its versions."""
    rows = session.execute(
        select(Case.alert_ladder, Case.alert_ladder_version, func.count())
        .where(Case.status.in_(OPEN_STATUSES), Case.alert_ladder.is_not(None))
        .group_by(Case.alert_ladder, Case.alert_ladder_version)
    )
    counts = {(str(key), int(version or 0)): count for key, version, count in rows}
    current = session.scalars(
        select(AlertLadderVersion).where(AlertLadderVersion.current).order_by(AlertLadderVersion.key)
    )
    return [
        LadderOverview(
            row.key,
            row.version,
            LadderPolicy.from_spec(row.spec),
            {version: count for (key, version), count in sorted(counts.items()) if key == row.key},
        )
        for row in current
    ]


def current_ladder_row(session: Session, key: str) -> AlertLadderVersion:
    row = session.scalar(select(AlertLadderVersion).where(AlertLadderVersion.key == key, AlertLadderVersion.current))
    if row is None:
        raise NotFound("admin.ladder.not_found", key=key)
    return row


def edit_ladder(
    *, session: Session, actor: Actor, key: str, seen_version: int, values: Mapping[str, str]
) -> AlertLadderVersion | None:
    """Store the edited delays as the ladder's next version (None: nothing differed). Refused with nothing
    changed: a delay that is not a positive window, or a version replaced meanwhile (409)."""
    require_admin(actor)
    with write_transaction(session):
        row = session.scalar(
            select(AlertLadderVersion)
            .where(AlertLadderVersion.key == key, AlertLadderVersion.current)
            .with_for_update()
        )
        if row is None:
            raise NotFound("admin.ladder.not_found", key=key)
        if row.version != seen_version:
            seen = session.scalar(
                select(AlertLadderVersion.spec).where(
                    AlertLadderVersion.key == key, AlertLadderVersion.version == seen_version
                )
            )
            current = ladder_values(LadderPolicy.from_spec(row.spec))
            raise Conflict("admin.stale", changed=changed_fields(seen, row.spec), version=row.version, current=current)
        old = LadderPolicy.from_spec(row.spec)
        delays: dict[str, timedelta] = {}
        fields: dict[str, list[str]] = {}
        for name in FIELDS:
            text = (values.get(name) or "").strip()
            try:
                delays[name] = parse_window(text, ClockKind.WALL, name)
            except PolicyError:
                fields[name] = [N_("admin.policy.bad_window") if text else N_("field.required")]
                continue
            if delays[name] <= timedelta(0):
                fields[name] = [N_("admin.policy.zero_window")]
        if fields:
            raise InvalidInput("validation.failed", fields=fields)
        new = LadderPolicy(**delays, category=old.category, agency=old.agency)
        if new.to_spec() == row.spec:
            return None
        row.current = False
        session.flush()
        stored = AlertLadderVersion(key=key, version=row.version + 1, spec=new.to_spec(), current=True)
        session.add(stored)
        record_admin_change(
            session,
            actor=actor,
            object_type="alert_ladder",
            object_key=key,
            action="updated",
            before={"version": row.version, **row.spec},
            after={"version": stored.version, **stored.spec},
        )
    reference_cache.clear()
    return stored

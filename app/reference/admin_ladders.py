"""Alert ladders edited by administrators, like SLA policies: a change is a new version that new
dispatches get, while a case already climbing keeps the version it started with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from app.access import Actor
from app.db import write_transaction
from app.errors import N_, InvalidInput
from app.models import AlertLadderVersion
from app.reference.admin_policies import format_window, require_admin
from app.reference.cache import reference_cache
from app.reference.versions import current_row, current_with_open_cases, refuse_stale, store_next_version
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
    return [
        LadderOverview(row.key, row.version, LadderPolicy.from_spec(row.spec), open_by_version)
        for row, open_by_version in current_with_open_cases(session, AlertLadderVersion)
    ]


def current_ladder_row(session: Session, key: str) -> AlertLadderVersion:
    return current_row(session, AlertLadderVersion, key, not_found=N_("admin.ladder.not_found"))


def edit_ladder(
    *, session: Session, actor: Actor, key: str, seen_version: int, values: Mapping[str, str]
) -> AlertLadderVersion | None:
    """Store the edited delays as the ladder's next version (None: nothing differed). Refused with nothing
    changed: a delay that is not a positive window, or a version replaced meanwhile (409)."""
    require_admin(actor)
    with write_transaction(session):
        row = current_row(session, AlertLadderVersion, key, not_found=N_("admin.ladder.not_found"), for_update=True)
        refuse_stale(session, row, seen_version, lambda spec: ladder_values(LadderPolicy.from_spec(spec)))
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
        stored = store_next_version(session, actor=actor, row=row, spec=new.to_spec())
    if stored is not None:
        reference_cache.clear()
    return stored

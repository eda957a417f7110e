"""SLA policies edited by administrators: a change is a new version that new cases get; open cases
keep the version they started on. One service function, one transaction, with its change-log entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import Actor
from app.db import write_transaction
from app.errors import N_, Forbidden, InvalidInput
from app.models import Category, SlaPolicyVersion
from app.reference.cache import reference_cache
from app.reference.versions import (
    current_row,
    current_with_open_cases,
    refuse_stale,
    store_next_version,
)
from app.vocabulary import Role
from sla.policy import WORKING_DAY, ClockKind, Policy, PolicyError, build_policy, parse_window

FIELDS = ("acknowledge_within", "report_within", "warnings", "escalate_after")


@dataclass(frozen=True)
class PolicyOverview:
    key: str
    version: int
    policy: Policy
    open_by_version: dict[int, int]  # open cases on each version of this policy (the current one included)


def require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden("auth.forbidden", role=actor.role.value)


def policy_overview(session: Session) -> list[PolicyOverview]:
    """Every current policy with its version and the open cases on each of its versions."""
    return [
        PolicyOverview(row.key, row.version, Policy.from_spec(row.spec), open_by_version)
        for row, open_by_version in current_with_open_cases(session, SlaPolicyVersion)
    ]


def current_policy(session: Session, key: str) -> SlaPolicyVersion:
    return current_row(session, SlaPolicyVersion, key, not_found=N_("admin.policy.not_found"))


def format_window(window: timedelta | None, clock: ClockKind, working_day: timedelta = WORKING_DAY) -> str:
    """A window as people type it: 6d on the working clock, else 4h or 15m."""
    if window is None:
        return ""
    if clock is ClockKind.WORKING and window and window % working_day == timedelta(0):
        return f"{window // working_day}d"
    if window % timedelta(hours=1) == timedelta(0) and window:
        return f"{window // timedelta(hours=1)}h"
    return f"{round(window / timedelta(minutes=1))}m"


def policy_values(policy: Policy, working_day: timedelta = WORKING_DAY) -> dict[str, str]:
    """A policy as the edit form shows it."""
    warnings = []
    for point in policy.warnings:
        if point.fraction is not None:
            warnings.append(f"{round(point.fraction * 100)}%")
        else:
            warnings.append(format_window(point.before, policy.clock, working_day))
    return {
        "acknowledge_within": format_window(policy.acknowledge_within, policy.clock, working_day),
        "report_within": format_window(policy.report_within, policy.clock, working_day),
        "warnings": ", ".join(warnings),
        "escalate_after": format_window(policy.escalate_after, policy.clock, working_day) or "0m",
    }


def edit_policy(
    *,
    session: Session,
    actor: Actor,
    key: str,
    seen_version: int,
    values: Mapping[str, str],
    working_day: timedelta = WORKING_DAY,
) -> SlaPolicyVersion | None:
    """Store the edited windows as the policy's next version (None: nothing differed, nothing stored).

    Refused, with nothing changed: a window that is not a window, an acknowledgement window longer
    than the report window, a version someone else replaced meanwhile (409 naming what changed)."""
    require_admin(actor)
    with write_transaction(session):
        row = current_row(session, SlaPolicyVersion, key, not_found=N_("admin.policy.not_found"), for_update=True)
        refuse_stale(session, row, seen_version, lambda spec: policy_values(Policy.from_spec(spec), working_day))
        new = _checked(session, Policy.from_spec(row.spec), values, working_day)
        stored = store_next_version(session, actor=actor, row=row, spec=new.to_spec())
    if stored is not None:
        reference_cache.clear()  # new cases in this process get the new version at once; others within its TTL
    return stored


def _checked(session: Session, old: Policy, values: Mapping[str, str], working_day: timedelta) -> Policy:
    """The edited policy, or InvalidInput naming each field that is wrong."""
    fields: dict[str, list[str]] = {}
    windows: dict[str, timedelta | None] = {}
    for name in ("acknowledge_within", "report_within", "escalate_after"):
        text = (values.get(name) or "").strip()
        if not text:
            if name == "report_within":
                fields[name] = [N_("field.required")]
            windows[name] = None
            continue
        try:
            windows[name] = parse_window(text, old.clock, name, working_day)
        except PolicyError:
            fields[name] = [N_("admin.policy.bad_window")]
            continue
        if name != "escalate_after" and windows[name] == timedelta(0):
            fields[name] = [N_("admin.policy.zero_window")]
    ack, report = windows.get("acknowledge_within"), windows.get("report_within")
    if not fields and ack is not None and report is not None and ack > report:
        fields["acknowledge_within"] = [N_("admin.policy.ack_longer_than_report")]
    warnings = [part.strip() for part in (values.get("warnings") or "").replace("，", ",").split(",") if part.strip()]
    entry: dict[str, Any] = {
        "clock": old.clock.value,
        "report_within": values.get("report_within", "").strip(),
        "warnings": warnings,
        "escalate_after": (values.get("escalate_after") or "").strip() or "0m",
    }
    if ack is not None:
        entry["acknowledge_within"] = values["acknowledge_within"].strip()
    if old.agency:
        entry["agency"] = old.agency
    if old.category.startswith("type:"):
        entry["case_type"] = old.category.removeprefix("type:")
    else:
        entry["category"] = old.category
    if fields:
        raise InvalidInput("validation.failed", fields=fields)
    case_type_of = {
        code: case_type.value for code, case_type in session.execute(select(Category.code, Category.case_type))
    }
    try:
        return build_policy(entry, where=old.key, case_type_of=case_type_of, working_day=working_day)
    except PolicyError as error:
        # What is left after the field checks: a warning that is not one, or the national 12-day limit.
        name = "warnings" if "warning" in str(error) else "report_within"
        code = N_("admin.policy.bad_warning") if name == "warnings" else N_("admin.policy.over_limit")
        raise InvalidInput("validation.failed", fields={name: [code]}) from None

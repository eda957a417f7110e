"""The SLA policies page: each policy's windows, its version, the open cases on each version; editing
one stores a new version that new cases get (app.reference.admin_policies.edit_policy)."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.db import current_session
from app.errors import Conflict, DomainError
from app.i18n import is_english, message
from app.models import SlaPolicyVersion
from app.reference import admin_policies as service
from app.reference.cache import reference_cache
from app.reference.versions import open_cases_by_version
from app.settings_access import current_settings
from app.web.admin_rules.base import ADMINS, bp, refusal
from app.web.admin_rules.ladders import ladder_rows
from app.web.guards import roles_required
from app.web.labels import L_, label
from sla.clock import working_day_length
from sla.policy import Policy

FIELD_LABELS = {
    "acknowledge_within": L_("ar.policy.acknowledge_within"),
    "acknowledge_within_s": L_("ar.policy.acknowledge_within"),
    "report_within": L_("ar.policy.report_within"),
    "report_within_s": L_("ar.policy.report_within"),
    "warnings": L_("ar.policy.warnings"),
    "escalate_after": L_("ar.policy.escalate_after"),
    "escalate_after_s": L_("ar.policy.escalate_after"),
    "clock": L_("ar.policy.clock"),
}
BUILT_KEYS = (L_("ar.clock.wall"), L_("ar.clock.working"))


def _working_day() -> Any:
    return working_day_length(current_settings().working_hours)


def policy_name(policy: Policy) -> str:
    """A policy by the words people use: its category (or case type), and its agency if it has one."""
    snapshot = reference_cache.snapshot(current_session())
    english = is_english()
    if policy.category.startswith("type:"):
        name = label("ar.policy.every_of_type", type=label("case_type." + policy.category.removeprefix("type:")))
    else:
        category = snapshot.categories.get(policy.category)
        name = (category.name_en if english else category.name_zh) if category else policy.category
    if policy.agency:
        agency = snapshot.agencies.get(policy.agency)
        name += " · " + ((agency.name_en if english else agency.name_zh) if agency else policy.agency)
    return name


@bp.route("/console/admin/rules/policies")
@roles_required(ADMINS)
def policies_page() -> ResponseReturnValue:
    day = _working_day()
    rows = [
        {
            "key": item.key,
            "name": policy_name(item.policy),
            "version": item.version,
            "clock": item.policy.clock.value,
            "values": service.policy_values(item.policy, day),
            "open": item.open_by_version,
        }
        for item in service.policy_overview(current_session())
    ]
    return render_template("web/admin_rules/policies.html", rows=rows, ladders=ladder_rows())


@bp.route("/console/admin/rules/policies/<string:key>", methods=["GET", "POST"])
@roles_required(ADMINS)
def edit_policy(key: str) -> ResponseReturnValue:
    session = current_session()
    row = service.current_policy(session, key)
    day = _working_day()
    if request.method == "GET":
        return _edit_page(row, service.policy_values(Policy.from_spec(row.spec), day), row.version, errors={})
    values = {name: request.form.get(name, "")[:200] for name in service.FIELDS}
    seen = request.form.get("version", type=int) or 0
    try:
        stored = service.edit_policy(
            session=session, actor=g.actor, key=key, seen_version=seen, values=values, working_day=day
        )
    except Conflict as refused:
        session.rollback()
        if refused.code != "admin.stale":
            raise
        stale = {
            "fields": "、".join(
                dict.fromkeys(label(FIELD_LABELS.get(name, name)) for name in refused.params["changed"])
            ),
            "version": refused.params["version"],
            "current": refused.params["current"],
        }
        row = service.current_policy(session, key)
        return _edit_page(row, values, row.version, errors={}, stale=stale), 409
    except DomainError as refused:
        session.rollback()
        return _edit_page(row, values, seen, errors=refusal(refused)), refused.status
    if stored is None:
        flash(message("admin.nothing_changed"))
    else:
        flash(message("admin.policy.saved", version=stored.version))
    return redirect(url_for("admin_rules.policies_page"))


def _edit_page(
    row: SlaPolicyVersion,
    values: dict[str, str],
    version: int,
    *,
    errors: dict[str, Any],
    stale: dict[str, Any] | None = None,
) -> str:
    policy = Policy.from_spec(row.spec)
    open_counts = open_cases_by_version(current_session(), SlaPolicyVersion)
    return render_template(
        "web/admin_rules/policy_edit.html",
        key=row.key,
        name=policy_name(policy),
        clock=policy.clock.value,
        current_version=row.version,
        version=version,
        values=values,
        errors=errors,
        stale=stale,
        open_on_current=open_counts.get((row.key, row.version), 0),
    )

"""The administrators' change log: who changed what, when, from what to what; filtered by object and user."""

from __future__ import annotations

import json
from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue

from app.admin_audit import changed_fields, list_changes
from app.db import current_session
from app.settings_access import current_settings
from app.web.admin import ADMIN_ROLES, bp
from app.web.guards import roles_required
from app.web.labels import L_

PAGE_SIZE = 50
OBJECT_TYPES = (
    L_("audit.type.user"),
    L_("audit.type.api_token"),
    L_("audit.type.agency"),
    L_("audit.type.roster_shift"),
    L_("audit.type.roster_override"),
    L_("audit.type.category"),
    L_("audit.type.sla_policy"),
    L_("audit.type.alert_ladder"),
    L_("audit.type.calendar_day"),
    L_("audit.type.monthly_report"),
)
ACTIONS = (
    L_("audit.action.created"),
    L_("audit.action.updated"),
    L_("audit.action.deactivated"),
    L_("audit.action.reactivated"),
    L_("audit.action.password_reset"),
    L_("audit.action.password_changed"),
    L_("audit.action.revoked"),
    L_("audit.action.deleted"),
    L_("audit.action.frozen"),
    L_("audit.action.password_set"),
    L_("audit.action.token_issued"),
    L_("audit.action.tokens_revoked"),
)


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return "、".join(str(item) for item in value) or "—"
    if isinstance(value, bool | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@bp.route("/console/admin/audit")
@roles_required(ADMIN_ROLES)
def audit() -> ResponseReturnValue:
    filters = {name: request.args.get(name, "").strip()[:120] for name in ("object_type", "object_key", "actor")}
    before = request.args.get("before", "")
    rows, next_before = list_changes(
        current_session(),
        object_type=filters["object_type"] or None,
        object_key=filters["object_key"] or None,
        actor_name=filters["actor"] or None,
        before_id=int(before) if before.isdigit() and len(before) < 19 else None,
        limit=PAGE_SIZE,
    )
    tz = current_settings().timezone
    changes = [
        {
            "id": row.id,
            "when": row.occurred_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            "who": row.actor_name,
            "object_type": row.object_type,
            "object_key": row.object_key,
            "action": row.action,
            "fields": [
                (name, _shown((row.before or {}).get(name)), _shown((row.after or {}).get(name)))
                for name in changed_fields(row.before, row.after)
            ],
        }
        for row in rows
    ]
    known_types = [key.removeprefix("audit.type.") for key in OBJECT_TYPES]
    return render_template(
        "web/admin/audit.html",
        changes=changes,
        filters=filters,
        next_before=next_before,
        object_types=known_types
        + ([filters["object_type"]] if filters["object_type"] and filters["object_type"] not in known_types else []),
    )

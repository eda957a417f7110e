"""The administrators' change log: who changed what, when, from what to what; filtered by object and user."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import render_template, request
from flask.typing import ResponseReturnValue

from app.admin_audit import COMMAND_LINE, changed_fields, list_changes
from app.db import current_session
from app.present.times import local_iso, roc_datetime
from app.settings_access import current_settings
from app.web.admin import ADMIN_ROLES, bp
from app.web.casepage.words import phone_text
from app.web.guards import roles_required
from app.web.labels import L_, label

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


# Fields whose stored value is a code with a console word of its own ("role.agent" → 話務人員).
WORDED_FIELDS = {
    "role": "role.",
    "case_type": "case_type.",
    "clock": "clock.",
    "days": "roster.day.",
    "password": "audit.password.",
}
PHONE_FIELDS = frozenset({"phone", "duty_phones", "supervisor_phones"})
PASSWORD_WORDS = (
    L_("audit.password.random"),
    L_("audit.password.temporary"),
    L_("audit.password.old"),
    L_("audit.password.changed"),
)


def _moment(value: str) -> datetime | None:
    """A snapshot's ISO time with its offset ("2026-12-02T09:18+08:00"), or None for any other text."""
    if len(value) < 16 or value[10:11] != "T":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _shown(name: str, value: Any, tz: ZoneInfo) -> str:
    """A stored value as the administrator reads it: codes, yes/no, phones and times as the console writes them."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return label("yes" if value else "no")
    if isinstance(value, list):
        return "、".join(_shown(name, item, tz) for item in value) or "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if not isinstance(value, str):
        return str(value)
    if name in WORDED_FIELDS:
        return label(WORDED_FIELDS[name] + value)
    if name in PHONE_FIELDS:
        return phone_text(value)
    moment = _moment(value)
    return roc_datetime(moment, tz) if moment else value


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
            "when": roc_datetime(row.occurred_at, tz),
            "when_iso": local_iso(row.occurred_at, tz),
            "who": row.actor_name,
            "who_shown": label("audit.command_line") if row.actor_name == COMMAND_LINE else row.actor_name,
            "object_type": row.object_type,
            "object_key": row.object_key,
            "action": row.action,
            "fields": [
                (name, _shown(name, (row.before or {}).get(name), tz), _shown(name, (row.after or {}).get(name), tz))
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

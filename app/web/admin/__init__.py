"""Administration in the browser (/console/admin): users, agencies and their duty rosters, the change log.

The hub lists SECTIONS; another page group adds its own with `add_section` (one place, so the hub grows
without editing its template). Every change goes through one service function that logs it in admin_changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue

from app.errors import DomainError
from app.i18n import message
from app.vocabulary import Role
from app.web import nav
from app.web.guards import roles_required
from app.web.labels import L_
from app.web.pagekit import page_blueprint

bp = page_blueprint("admin", __name__)
ADMIN_ROLES = frozenset({Role.ADMIN})
nav.register(nav.Page("admin.hub", L_("nav.admin"), ADMIN_ROLES, "A", order=60))


@dataclass(frozen=True)
class Section:
    endpoint: str  # for url_for
    label: str  # a console catalogue key
    hint: str  # a console catalogue key: one sentence on what is there


SECTIONS: list[Section] = [
    Section("admin.users", L_("admin.section.users"), L_("admin.section.users.hint")),
    Section("admin.agencies", L_("admin.section.agencies"), L_("admin.section.agencies.hint")),
    Section("admin.audit", L_("admin.section.audit"), L_("admin.section.audit.hint")),
]


# Keys given to the form macros or built from field names (stale notices, the log's diff): listed for extraction.
BUILT_KEYS = (
    L_("account.current_password"),
    L_("account.new_password"),
    L_("account.confirm_password"),
    L_("admin.field.username"),
    L_("admin.field.day"),
    L_("admin.field.working"),
    L_("admin.field.from"),
    L_("admin.field.until"),
    L_("admin.field.case_type"),
    L_("admin.field.urgent"),
    L_("admin.field.default_agency"),
    L_("admin.field.rules"),
    L_("admin.field.version"),
    L_("admin.field.category"),
    L_("admin.field.clock"),
    L_("admin.field.acknowledge_within_s"),
    L_("admin.field.report_within_s"),
    L_("admin.field.warnings"),
    L_("admin.field.escalate_after_s"),
    L_("admin.field.call_duty_after_s"),
    L_("admin.field.call_supervisor_after_s"),
    L_("admin.field.repeat_every_s"),
    L_("admin.field.month"),
    L_("admin.field.definitions"),
    L_("admin.field.api_token"),
    L_("admin.field.tokens_revoked"),
    L_("admin.field.display_name"),
    L_("admin.field.role"),
    L_("admin.field.agency"),
    L_("admin.field.language"),
    L_("admin.field.active"),
    L_("admin.field.must_change_password"),
    L_("admin.field.password"),
    L_("admin.field.code"),
    L_("admin.field.name_zh"),
    L_("admin.field.name_en"),
    L_("admin.field.district"),
    L_("admin.field.duty_phones"),
    L_("admin.field.supervisor_phones"),
    L_("admin.field.name"),
    L_("admin.field.phone"),
    L_("admin.field.days"),
    L_("admin.field.start"),
    L_("admin.field.end"),
    L_("admin.field.reason"),
    L_("admin.field.starts_at"),
    L_("admin.field.ends_at"),
    L_("admin.field.expires_at"),
    L_("admin.field.revoked"),
    L_("admin.token.expires"),
    L_("admin.token.name"),
    L_("roster.field.name"),
    L_("roster.field.phone"),
    L_("roster.field.start"),
    L_("roster.field.end"),
    L_("roster.field.from"),
    L_("roster.field.until"),
    L_("roster.field.reason"),
)


def add_section(section: Section) -> None:
    """Another administration page joins the hub (once)."""
    if all(known.endpoint != section.endpoint for known in SECTIONS):
        SECTIONS.append(section)


@bp.route("/console/admin")
@roles_required(ADMIN_ROLES)
def hub() -> ResponseReturnValue:
    return render_template("web/admin/hub.html", sections=SECTIONS)


def messages_by_field(refused: DomainError) -> dict[str, list[str]]:
    """A refusal's field codes as messages in the user's language, for the form to show beside each field."""
    return {name: [message(code, **refused.params) for code in codes] for name, codes in refused.fields.items()}


def field_errors(refused: DomainError) -> dict[str, list[str]]:
    """Each field's messages beside the field; a refusal naming no field is said at the top of the page."""
    errors = messages_by_field(refused)
    if not errors:
        errors["_page"] = [message(refused.code, **refused.params)]
    return errors


def seen_snapshot() -> dict[str, Any] | None:
    """The snapshot the form was built on (a hidden field), for the stale-edit check; None if absent or broken."""
    try:
        seen = json.loads(request.form.get("seen", ""))
    except ValueError:
        return None
    return seen if isinstance(seen, dict) else None


from app.web.admin import account, agencies, audit, users  # noqa: E402,F401 - their routes join the blueprint

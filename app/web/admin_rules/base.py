"""The blueprint of the rules' administration pages, its menu entry and its index."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask.typing import ResponseReturnValue

from app.errors import DomainError
from app.i18n import message
from app.vocabulary import Role
from app.web import nav
from app.web.admin import Section, add_section, messages_by_field
from app.web.guards import roles_required
from app.web.labels import L_
from app.web.pagekit import page_blueprint

bp = page_blueprint("admin_rules", __name__)
ADMINS = frozenset({Role.ADMIN})
nav.register(nav.Page("admin_rules.index", L_("nav.admin_rules"), ADMINS, "G", order=61))
# The administration hub lists it too, so an administrator finds every setting from one page.
add_section(Section("admin_rules.index", L_("nav.admin_rules"), L_("admin.section.rules.hint")))


@bp.route("/console/admin/rules")
@roles_required(ADMINS)
def index() -> ResponseReturnValue:
    return render_template("web/admin_rules/index.html")


def refusal(refused: DomainError) -> dict[str, Any]:
    """The refusal's message for the top of the form, and each field's messages beside the field."""
    return {"message": message(refused.code, **refused.params), "fields": messages_by_field(refused)}

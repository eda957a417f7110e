"""Editing an alert ladder (its three delays) from the SLA policies page: a new version for new dispatches."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.db import current_session
from app.errors import Conflict, DomainError
from app.i18n import is_english, message
from app.models import AlertLadderVersion
from app.reference import admin_ladders as service
from app.reference.cache import reference_cache
from app.web.admin_rules.base import ADMINS, bp, refusal
from app.web.guards import roles_required
from app.web.labels import L_, label
from dispatch.ladder import LadderPolicy

FIELD_LABELS = {
    "call_duty_after_s": L_("ar.ladder.call_duty_after"),
    "call_supervisor_after_s": L_("ar.ladder.call_supervisor_after"),
    "repeat_every_s": L_("ar.ladder.repeat_every"),
}


def ladder_name(ladder: LadderPolicy) -> str:
    snapshot = reference_cache.snapshot(current_session())
    english = is_english()
    if ladder.agency:
        agency = snapshot.agencies.get(ladder.agency)
        return label("ar.ladder.for", name=(agency.name_en if english else agency.name_zh) if agency else ladder.agency)
    if ladder.category:
        category = snapshot.categories.get(ladder.category)
        name = (category.name_en if english else category.name_zh) if category else ladder.category
        return label("ar.ladder.for", name=name)
    return label("ar.ladder.default")


def ladder_rows() -> list[dict[str, Any]]:
    return [
        {
            "key": item.key,
            "name": ladder_name(item.ladder),
            "version": item.version,
            "values": service.ladder_values(item.ladder),
            "open": item.open_by_version,
        }
        for item in service.ladder_overview(current_session())
    ]


@bp.route("/console/admin/rules/ladders/<string:key>", methods=["GET", "POST"])
@roles_required(ADMINS)
def edit_ladder(key: str) -> ResponseReturnValue:
    session = current_session()
    row = service.current_ladder_row(session, key)
    if request.method == "GET":
        return _edit_page(row, service.ladder_values(LadderPolicy.from_spec(row.spec)), row.version, errors={})
    values = {name: request.form.get(name, "")[:200] for name in service.FIELDS}
    seen = request.form.get("version", type=int) or 0
    try:
        stored = service.edit_ladder(session=session, actor=g.actor, key=key, seen_version=seen, values=values)
    except Conflict as refused:
        session.rollback()
        if refused.code != "admin.stale":
            raise
        stale = {
            "fields": "、".join(label(FIELD_LABELS.get(name, name)) for name in refused.params["changed"]),
            "version": refused.params["version"],
            "current": refused.params["current"],
        }
        row = service.current_ladder_row(session, key)
        return _edit_page(row, values, row.version, errors={}, stale=stale), 409
    except DomainError as refused:
        session.rollback()
        return _edit_page(row, values, seen, errors=refusal(refused)), refused.status
    flash(message("admin.nothing_changed") if stored is None else message("admin.ladder.saved", version=stored.version))
    return redirect(url_for("admin_rules.policies_page") + "#ladders")


def _edit_page(
    row: AlertLadderVersion,
    values: dict[str, str],
    version: int,
    *,
    errors: dict[str, Any],
    stale: dict[str, Any] | None = None,
) -> str:
    return render_template(
        "web/admin_rules/ladder_edit.html",
        key=row.key,
        name=ladder_name(LadderPolicy.from_spec(row.spec)),
        current_version=row.version,
        version=version,
        values=values,
        errors=errors,
        stale=stale,
    )

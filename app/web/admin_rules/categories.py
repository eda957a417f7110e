"""The categories page: names, case type, urgency, default agency and the rules by district, with a
preview of where a case of the category goes in each district before saving."""

from __future__ import annotations

import json
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.db import current_session
from app.errors import Conflict, DomainError
from app.i18n import is_english, message
from app.models import Category
from app.reference import admin_categories as service
from app.reference.admin_categories import CategoryInput
from app.reference.cache import reference_cache
from app.vocabulary import CaseType
from app.web.admin_rules.base import ADMINS, bp, refusal
from app.web.guards import roles_required
from app.web.labels import L_, label

FIELD_LABELS = {
    "name_zh": L_("ar.category.name_zh"),
    "name_en": L_("ar.category.name_en"),
    "case_type": L_("ar.category.case_type"),
    "urgent": L_("ar.category.urgent"),
    "default_agency": L_("ar.category.default_agency"),
    "rules": L_("ar.category.rules"),
    "active": L_("ar.category.active"),
}
BUILT_KEYS = (
    L_("ar.route.district_rule"),
    L_("ar.route.category_default"),
    L_("ar.route.no_match"),
    L_("ar.route.sentence"),
    L_("ar.route.sentence_triage"),
)


def _names() -> dict[str, Any]:
    snapshot = reference_cache.snapshot(current_session())
    english = is_english()
    return {
        "agencies": {code: row.name_en if english else row.name_zh for code, row in snapshot.agencies.items()},
        "districts": {code: row.name_en if english else row.name_zh for code, row in snapshot.districts.items()},
    }


@bp.route("/console/admin/rules/categories")
@roles_required(ADMINS)
def categories_page() -> ResponseReturnValue:
    session = current_session()
    rows = [service.category_snapshot(session, row) for row in session.scalars(select(Category).order_by(Category.id))]
    return render_template("web/admin_rules/categories.html", rows=rows, names=_names(), english=is_english())


@bp.route("/console/admin/rules/categories/new", methods=["GET", "POST"])
@roles_required(ADMINS)
def new_category() -> ResponseReturnValue:
    if request.method == "GET":
        blank = CategoryInput("", "", "", CaseType.PETITION.value, False, "")
        return _edit_page(blank, seen=None, errors={})
    return _save(creating=True)


@bp.route("/console/admin/rules/categories/<string:code>", methods=["GET", "POST"])
@roles_required(ADMINS)
def edit_category(code: str) -> ResponseReturnValue:
    session = current_session()
    category = service.get_category(session, code)
    if request.method == "GET":
        snapshot = service.category_snapshot(session, category)
        return _edit_page(service.input_of(snapshot), seen=snapshot, errors={})
    return _save(creating=False, code=code)


def _save(*, creating: bool, code: str | None = None) -> ResponseReturnValue:
    session = current_session()
    edited = _form_input(code)
    seen = None if creating else _seen()
    if request.form.get("do") == "preview":
        return _edit_page(edited, seen=seen, errors={}, previewed=True)
    try:
        service.save_category(session=session, actor=g.actor, edited=edited, seen=seen)
    except Conflict as refused:
        session.rollback()
        if refused.code != "admin.stale":
            raise
        current = refused.params["current"]
        stale = {"fields": "、".join(label(FIELD_LABELS.get(name, name)) for name in refused.params["changed"])}
        return _edit_page(edited, seen=current, errors={}, stale=stale), 409
    except DomainError as refused:
        session.rollback()
        return _edit_page(edited, seen=seen, errors=refusal(refused)), refused.status
    flash(message("admin.category.saved", code=edited.code))
    return redirect(url_for("admin_rules.categories_page"))


def _seen() -> dict[str, Any]:
    try:
        seen = json.loads(request.form.get("seen", ""))
    except ValueError:
        return {}
    return seen if isinstance(seen, dict) else {}


def _form_input(code: str | None) -> CategoryInput:
    form = request.form
    districts = reference_cache.snapshot(current_session()).districts
    return CategoryInput(
        code=code if code is not None else form.get("code", "").strip()[:60],
        name_zh=form.get("name_zh", "")[:200],
        name_en=form.get("name_en", "")[:200],
        case_type=form.get("case_type", ""),
        urgent=form.get("urgent") == "yes",
        default_agency=form.get("default_agency", "").strip(),
        rules={district: form.get(f"rule-{district}", "").strip() for district in districts},
    )


def _edit_page(
    edited: CategoryInput,
    *,
    seen: dict[str, Any] | None,
    errors: dict[str, Any],
    previewed: bool = False,
    stale: dict[str, Any] | None = None,
) -> str:
    names = _names()
    decisions = service.preview_routes(current_session(), edited)
    routes = [
        {
            "code": district,
            "name": name,
            "rule": edited.rules.get(district, ""),
            "goes_to": names["agencies"].get(decisions[district].agency_code or "", decisions[district].agency_code),
            "reason": decisions[district].reason.value,
        }
        for district, name in names["districts"].items()
    ]
    english = is_english()
    chosen = request.form.get("preview_district") or next(iter(names["districts"]), "")
    sentence = None
    if previewed and chosen in decisions:
        decision = decisions[chosen]
        category_name = edited.name_en if english else edited.name_zh
        sentence = label(
            "ar.route.sentence" if decision.agency_code else "ar.route.sentence_triage",
            category=category_name or edited.code,
            district=names["districts"][chosen],
            agency=names["agencies"].get(decision.agency_code or "", ""),
            reason=label("ar.route." + decision.reason.value),
        )
    return render_template(
        "web/admin_rules/category_edit.html",
        edited=edited,
        creating=seen is None,
        seen_json=json.dumps(seen, ensure_ascii=False, sort_keys=True) if seen is not None else "",
        errors=errors,
        names=names,
        routes=routes,
        case_types=[member.value for member in CaseType],
        previewed=previewed,
        sentence=sentence,
        chosen=chosen,
        stale=stale,
    )

"""The signed-in user's own account: change the password (a temporary one must be changed first) and language."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from app.db import current_session
from app.errors import DomainError
from app.i18n import CHOSEN_LOCALE, message
from app.users import admin as service
from app.users.sessions import SESSION_LANG
from app.web.admin import bp, field_errors
from app.web.guards import MUST_CHANGE_PASSWORD, login_required
from app.web.pagekit import LANGUAGES


@bp.route("/console/account", methods=["GET"])
@login_required
def account() -> ResponseReturnValue:
    language = service.user_language(current_session(), g.actor.user_id)
    return render_template(
        "web/admin/account.html", errors={}, language=language or "", forced=bool(session.get(MUST_CHANGE_PASSWORD))
    )


@bp.route("/console/account/password", methods=["POST"])
@login_required
def change_password() -> ResponseReturnValue:
    current, new = request.form.get("current_password", "")[:1024], request.form.get("new_password", "")[:1024]
    errors = {}
    if new != request.form.get("confirm_password", "")[:1024]:
        errors["confirm_password"] = [message("account.password_mismatch")]
    else:
        try:
            service.change_own_password(session=current_session(), actor=g.actor, current=current, new=new)
        except DomainError as refused:
            errors = field_errors(refused)
    if errors:
        language = service.user_language(current_session(), g.actor.user_id) or ""
        forced = bool(session.get(MUST_CHANGE_PASSWORD))
        return render_template("web/admin/account.html", errors=errors, language=language, forced=forced), 422
    session.pop(MUST_CHANGE_PASSWORD, None)
    flash(message("account.password_changed"))
    return redirect(url_for("admin.account"))


@bp.route("/console/account/language", methods=["POST"])
@login_required
def set_language() -> ResponseReturnValue:
    language = request.form.get("language", "") or None
    try:
        service.set_own_language(session=current_session(), actor=g.actor, language=language)
    except DomainError as refused:
        forced = bool(session.get(MUST_CHANGE_PASSWORD))
        page = render_template("web/admin/account.html", errors=field_errors(refused), language="", forced=forced)
        return page, 422
    if language:
        session[SESSION_LANG] = language
        g.pop(CHOSEN_LOCALE, None)
        g.setdefault(CHOSEN_LOCALE, LANGUAGES[language])
    flash(message("account.language_saved"))
    return redirect(url_for("admin.account"))

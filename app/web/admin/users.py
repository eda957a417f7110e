"""Users: list, create (a temporary password shown once), edit, deactivate/reactivate, reset password, API tokens."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.admin_audit import StaleEdit
from app.db import current_session
from app.errors import N_, DomainError, InvalidInput, NotFound
from app.i18n import is_english, message
from app.models import User
from app.reference.cache import reference_cache
from app.settings_access import current_settings
from app.users import admin as service
from app.vocabulary import Role
from app.web.admin import ADMIN_ROLES, bp, field_errors, seen_snapshot
from app.web.guards import roles_required
from app.web.labels import label

FIELDS = ("username", "display_name", "role", "agency", "language")


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput("validation.failed", fields={"role": [N_("admin.bad_role")]}) from None


def _values() -> dict[str, str]:
    return {name: request.form.get(name, "").strip()[:200] for name in FIELDS}


def _agency_choices() -> list[tuple[str, str]]:
    english = is_english()
    agencies = reference_cache.snapshot(current_session()).agencies.values()
    return sorted((row.code, f"{row.code} {row.name_en if english else row.name_zh}") for row in agencies)


def _role_choices() -> list[tuple[str, str]]:
    return [(role.value, label(f"role.{role.value}")) for role in Role]


def _list_page(values: dict[str, str], errors: dict[str, list[str]]) -> str:
    session = current_session()
    return render_template(
        "web/admin/users.html",
        users=service.list_users(session),
        values=values,
        errors=errors,
        roles=_role_choices(),
        agencies=_agency_choices(),
    )


@bp.route("/console/admin/users", methods=["GET", "POST"])
@roles_required(ADMIN_ROLES)
def users() -> ResponseReturnValue:
    if request.method == "GET":
        return _list_page({"role": "agent"}, {})
    values = _values()
    try:
        created = service.create_account(
            session=current_session(),
            actor=g.actor,
            username=values["username"],
            display_name=values["display_name"] or values["username"],
            role=_role(values["role"]),
            agency_code=values["agency"] or None,
            language=values["language"] or None,
        )
    except DomainError as refused:
        return _list_page(values, field_errors(refused)), refused.status
    # Rendered, not redirected: the temporary password must not travel in the (signed, readable) cookie.
    return _user_page(created.user.username, secret=("password", created.temporary_password), status=201)


def _user_values(user: User) -> dict[str, str]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "agency": user.agency.code if user.agency else "",
        "language": user.language or "",
    }


def _user_page(
    username: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    secret: tuple[str, str] | None = None,
    stale: dict[str, Any] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    session = current_session()
    session.expire_all()
    user = service.find_user(session, username)
    if user is None:
        raise NotFound("admin.user_not_found", username=username)
    snapshot = service.snapshot(user)
    tz = current_settings().timezone
    tokens = [
        {
            "id": row.id,
            "name": row.label,
            "created": row.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            "expires": row.expires_at.astimezone(tz).strftime("%Y-%m-%d") if row.expires_at else None,
            "last_used": row.last_used_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if row.last_used_at else None,
            "revoked": row.revoked_at is not None,
        }
        for row in service.tokens_of(session, username)
    ]
    page = render_template(
        "web/admin/user.html",
        user=user,
        values=values or _user_values(user),
        errors=errors or {},
        seen=json.dumps({name: snapshot[name] for name in service.EDITABLE}, ensure_ascii=False),
        roles=_role_choices(),
        agencies=_agency_choices(),
        tokens=tokens,
        secret=secret,
        stale=stale,
    )
    return page, status


@bp.route("/console/admin/users/<username>", methods=["GET", "POST"])
@roles_required(ADMIN_ROLES)
def user(username: str) -> ResponseReturnValue:
    if request.method == "GET":
        return _user_page(username)
    values = {**_values(), "username": username}
    try:
        service.update_account(
            session=current_session(),
            actor=g.actor,
            username=username,
            display_name=values["display_name"],
            role=_role(values["role"]),
            agency_code=values["agency"] or None,
            language=values["language"] or None,
            seen=seen_snapshot(),
        )
    except StaleEdit as stale:
        return _user_page(username, values=values, stale=stale.changes, status=409)
    except DomainError as refused:
        return _user_page(username, values=values, errors=field_errors(refused), status=refused.status)
    flash(message("admin.saved"))
    return redirect(url_for("admin.user", username=username))


@bp.route("/console/admin/users/<username>/active", methods=["POST"])
@roles_required(ADMIN_ROLES)
def set_active(username: str) -> ResponseReturnValue:
    active = request.form.get("active") == "1"
    try:
        service.set_active(session=current_session(), actor=g.actor, username=username, active=active)
    except DomainError as refused:
        return _user_page(username, errors=field_errors(refused), status=refused.status)
    if active:
        flash(message("admin.user_reactivated", username=username))
    else:
        flash(message("admin.user_deactivated", username=username))
    return redirect(url_for("admin.user", username=username))


@bp.route("/console/admin/users/<username>/password", methods=["POST"])
@roles_required(ADMIN_ROLES)
def reset_password(username: str) -> ResponseReturnValue:
    try:
        password = service.reset_password(session=current_session(), actor=g.actor, username=username)
    except DomainError as refused:
        return _user_page(username, errors=field_errors(refused), status=refused.status)
    return _user_page(username, secret=("password", password))


@bp.route("/console/admin/users/<username>/tokens", methods=["POST"])
@roles_required(ADMIN_ROLES)
def create_token(username: str) -> ResponseReturnValue:
    name = request.form.get("token_name", "").strip()[:200]
    expires_on = request.form.get("expires_on", "").strip()
    try:
        expires_at = _end_of(expires_on)
        token = service.create_token(
            session=current_session(), actor=g.actor, username=username, name=name, expires_at=expires_at
        )
    except DomainError as refused:
        errors = field_errors(refused)
        errors = {
            {"name": "token_name", "expires_at": "expires_on"}.get(key, key): texts for key, texts in errors.items()
        }
        return _user_page(username, errors=errors, status=refused.status)
    return _user_page(username, secret=("token", token), status=201)


def _end_of(text: str) -> datetime | None:
    """A token's expiry date: valid until the end of that day, Taipei time."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("validation.failed", fields={"expires_at": ["field.bad_date"]}) from None
    return datetime.combine(day, time(23, 59), tzinfo=current_settings().timezone)


@bp.route("/console/admin/users/<username>/tokens/<int:token_id>/revoke", methods=["POST"])
@roles_required(ADMIN_ROLES)
def revoke_token(username: str, token_id: int) -> ResponseReturnValue:
    try:
        service.revoke_token(session=current_session(), actor=g.actor, username=username, token_id=token_id)
    except DomainError as refused:
        return _user_page(username, errors=field_errors(refused), status=refused.status)
    flash(message("admin.token_revoked"))
    return redirect(url_for("admin.user", username=username))

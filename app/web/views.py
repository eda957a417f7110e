"""The console's pages: login, logout, and the live dispatch page. Thin: check, call one service, render."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from app.access import Actor
from app.api import PREFIX as API_PREFIX
from app.cases.counters import count_open_cases, counters_for
from app.db import current_session, utcnow
from app.i18n import is_english, message
from app.realtime.connections import resume_point
from app.reference.cache import reference_cache
from app.reference.names import ReferenceNames
from app.settings_access import current_settings
from app.users.admin import must_change_password, user_language
from app.users.lockout import LoginLockout
from app.users.service import check_password
from app.users.sessions import SESSION_LANG, log_in, log_out, session_actor
from app.vocabulary import Role
from app.web import LOCKOUT, nav
from app.web.forms import LoginForm
from app.web.guards import AFTER_LOGIN, MUST_CHANGE_PASSWORD, login_required
from app.web.labels import L_, labels_for_script
from app.web.pagekit import LANGUAGES, page_blueprint

bp = page_blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/web/static")
nav.register(nav.Page("web.live", L_("nav.live"), nav.EVERYONE, "L", order=40))

# The page script fills the cells in this order (console-awaiting.js).
AWAITING_COLUMNS = (
    "case_no",
    "category",
    "district",
    "address",
    "assigned_at",
    "ack_due_at",
    "reporter_phone",
    "action",
)
AWAITING_COLUMNS_ALL_AGENCIES = ("case_no", "agency", *AWAITING_COLUMNS[1:])


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The login form; the same message for an unknown user and a wrong password."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        lockout: LoginLockout = current_app.extensions[LOCKOUT]
        username, address = str(form.username.data), request.remote_addr or ""
        wait = lockout.retry_after(username, address)
        if wait is not None:
            # Refused before the password is looked at: a right guess during a lockout is worth nothing.
            minutes = max(1, -(-wait // 60))
            error = message("auth.locked", minutes=minutes)
            page = render_template("web/login.html", form=form, error=error)
            return page, 429, {"Retry-After": str(wait)}
        credentials = form.credentials()
        actor = check_password(current_session(), *credentials) if credentials else None
        if actor is not None:
            lockout.succeeded(username)
            target = _safe_next(session.get(AFTER_LOGIN))
            log_in(actor)  # a fresh session: the page asked for before is kept only in `target`
            assert actor.user_id is not None
            language = user_language(current_session(), actor.user_id)
            if language in LANGUAGES:
                session[SESSION_LANG] = language  # the user's own choice beats the browser's
            if must_change_password(current_session(), actor.user_id):
                session[MUST_CHANGE_PASSWORD] = True  # a temporary password: replaced before anything else
                return redirect(url_for("admin.account"))
            return redirect(target or _home(actor))
        lockout.failed(username, address)
        error = message("auth.login_failed")
    elif request.method == "GET" and (current := session_actor()) is not None:
        return redirect(_home(current))
    return render_template("web/login.html", form=form, error=error)


def _home(actor: Actor | None) -> str:
    """Where a user starts the day: an agent at the intake page (calls arrive there), an agency responder at
    its board, everyone else at the live page."""
    if actor is not None and actor.role is Role.AGENT:
        return url_for("intake.start")
    if actor is not None and actor.role is Role.AGENCY:
        return url_for("board.page")
    return url_for("web.live")


def _safe_next(target: str | None) -> str | None:
    """Back to the page that sent the user to log in: a path on this site only, never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """POST only, with the CSRF token (checked by CSRFProtect before this runs)."""
    log_out()
    flash(message("auth.logged_out"))
    return redirect(url_for("web.login"))


@bp.route("/console/live")
@login_required
def live() -> ResponseReturnValue:
    """Counters, the cases awaiting acknowledgement and the live event log; the page script keeps them current."""
    actor: Actor = g.actor
    db_session = current_session()
    names = ReferenceNames.load(db_session)
    agency_code = names.agency_code(actor.agency_id)
    now = utcnow().astimezone(current_settings().timezone)
    counters = counters_for(actor, agency_code, count_open_cases(db_session, names), now.isoformat())
    return render_template(
        "web/live.html",
        actor=actor,
        agency_code=agency_code,
        counters=counters,
        as_of=now.strftime("%H:%M:%S"),
        awaiting_columns=AWAITING_COLUMNS if actor.is_agency else AWAITING_COLUMNS_ALL_AGENCIES,
        page_data=_page_data(actor, agency_code),
    )


def _page_data(actor: Actor, agency_code: str | None) -> dict[str, Any]:
    """What the page script needs: who is looking, the words, and reference names by code."""
    english = is_english()
    db_session = current_session()
    snapshot = reference_cache.snapshot(db_session)

    def names(rows: dict[str, Any]) -> dict[str, str]:
        return {code: (row.name_en if english else row.name_zh) for code, row in rows.items()}

    return {
        "user_id": actor.user_id,
        # Where the socket resumes if this tab has no watermark yet: nothing committed after the render
        # is missed, nor an event still in flight below the newest (the live feed watches those).
        "last_event_id": resume_point(),
        "can_acknowledge": actor.role is not Role.MAYOR_OFFICE,  # the mayor's office only reads
        # The mayor's office is sent counters only: a case list or event log there would never change.
        "statistics_only": actor.role is Role.MAYOR_OFFICE,
        # Agency responders see their own agency's cases only; everyone else needs to see whose a case is.
        "show_agency": not actor.is_agency,
        "role": actor.role.value,
        "agency": agency_code,
        "lang": "en" if english else "zh-TW",
        "time_zone": current_settings().timezone.key,
        "api": API_PREFIX,
        "labels": labels_for_script(),
        "categories": names(snapshot.categories),
        # The case list's items do not say whether a case is urgent; its category does.
        "urgent_categories": sorted(code for code, row in snapshot.categories.items() if row.urgent),
        "districts": names(snapshot.districts),
        "agencies": names(snapshot.agencies),
    }

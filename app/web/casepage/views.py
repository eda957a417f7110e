"""The case page: everything about one case, and the actions the viewer's role may take on it.

Thin: read the case file (404 for another agency's case, as in the API), shape it, render the partials. An
action is a form post carrying the version the user read; a stale version re-renders the page with what
changed since and the user's values kept, for a second try.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.access import Actor
from app.api import PREFIX as API_PREFIX
from app.cases.casefile import events_after, read_case_file
from app.cases.lifecycle import Action
from app.cases.photos import MAX_BYTES, MAX_PHOTOS
from app.db import current_session, db
from app.errors import DomainError, Forbidden, NotFound
from app.i18n import is_english, message
from app.realtime.connections import resume_point
from app.reference.cache import reference_cache
from app.settings_access import current_settings
from app.users.sessions import session_actor
from app.vocabulary import CaseStatus, Role
from app.web.casepage.context import case_sections, entries
from app.web.casepage.forms import (
    ACTIONS,
    FIELD_LABELS,
    MERGE_REASON_LABEL,
    REPORT_TEXT_LABEL,
    ActionForm,
    allowed_actions,
    blank_form,
    posted_form,
)
from app.web.guards import login_required
from app.web.labels import label, labels_for_script
from app.web.pagekit import page_blueprint

bp = page_blueprint("casepage", __name__)

STALE = "case.stale_version"


@bp.route("/console/cases/<case_no>")
@login_required
def case_page(case_no: str) -> ResponseReturnValue:
    return _render(case_no)


@bp.route("/console/cases/<case_no>/sections")
def case_page_sections(case_no: str) -> ResponseReturnValue:
    """The page's changing parts, re-read by its script every 30 s and after each pushed event of the case.

    Not `login_required`: a script's request must not become the page the user returns to after logging in.
    """
    actor = session_actor()
    if actor is None:
        return "", 401
    g.actor = actor
    session = current_session()
    case_file = read_case_file(session=session, actor=actor, case_no=case_no)
    return render_template("cases/sections.html", sections=case_sections(case_file, actor, session))


@bp.route("/console/cases/<case_no>/act/<action>", methods=["GET", "POST"])
@login_required
def act(case_no: str, action: str) -> ResponseReturnValue:
    """One lifecycle action from its form; success goes back to the page with a notice (post, redirect, get)."""
    try:
        chosen = Action(action)
    except ValueError:
        abort(404)
    if request.method == "GET":  # e.g. the language link of a page re-rendered after a refused post
        return redirect(url_for("casepage.case_page", case_no=case_no))
    actor: Actor = g.actor
    form = posted_form(chosen, agencies=_agency_choices())
    if not form.validate():
        return _render(case_no, failed=(chosen, form), status=422)
    try:
        ACTIONS[chosen].service(
            session=current_session(),
            actor=actor,
            case_no=case_no,
            version=int(form.version.data),
            **form.arguments(),
        )
    except (NotFound, Forbidden):
        raise  # the error page: another agency's case is 404, a role that may not act 403
    except DomainError as error:
        db.session.rollback()
        if error.code == STALE:
            return _render(case_no, failed=(chosen, form), stale_since=int(form.seen.data), status=409)
        _field_errors(form, error)
        return _render(case_no, failed=(chosen, form), refusal=message(error.code, **error.params), status=error.status)
    flash(label("action.done", action=label(ACTIONS[chosen].title), case_no=case_no))
    return redirect(url_for("casepage.case_page", case_no=case_no))


def _field_errors(form: ActionForm, error: DomainError) -> None:
    """A refusal about one field (merging a case into itself) is shown next to that field."""
    for name, codes in error.fields.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [message(code, **error.params) for code in codes]


def _agency_choices() -> list[tuple[str, str]]:
    snapshot = reference_cache.snapshot(current_session())
    english = is_english()
    rows = sorted(snapshot.agencies.values(), key=lambda row: row.code)
    return [(row.code, row.name_en if english else row.name_zh) for row in rows]


def _render(
    case_no: str,
    *,
    failed: tuple[Action, ActionForm] | None = None,
    stale_since: int | None = None,
    refusal: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    actor: Actor = g.actor
    session = current_session()
    case_file = read_case_file(session=session, actor=actor, case_no=case_no)
    sections = case_sections(case_file, actor, session)
    agencies = _agency_choices()
    forms = {
        action: blank_form(action, version=sections.version, seen=sections.last_event_id, agencies=agencies)
        for action in allowed_actions(actor, case_file.case)
    }
    if Action.CLOSE in forms and case_file.case.status is CaseStatus.REPORTED and failed is None:
        # 結案審核: accepting usually repeats what the agency reported; the reviewer edits it if need be.
        forms[Action.CLOSE].resolution.data = case_file.case.report_text or ""
    stale = None
    if failed is not None:
        action, form = failed
        if stale_since is not None:
            # The user's values stay; the version and the events seen move to now, so sending again applies them.
            form.version.data, form.seen.data = str(sections.version), str(sections.last_event_id)
            changes = events_after(session=session, actor=actor, case_no=case_no, after_id=stale_since)
            stale = {
                "action": action,
                "entries": entries(list(changes), case_file, actor, session),
                "still_allowed": action in forms,
            }
        if action in forms:
            forms[action] = form
    return render_template(
        "cases/page.html",
        sections=sections,
        forms=forms,
        actions=ACTIONS,
        field_labels=FIELD_LABELS,
        report_text_label=REPORT_TEXT_LABEL,
        merge_reason_label=MERGE_REASON_LABEL,
        failed_action=failed[0] if failed else None,
        failed_form=failed[1] if failed else None,
        stale=stale,
        refusal=refusal,
        read_only=actor.role is Role.MAYOR_OFFICE,
        reviewing=case_file.case.status is CaseStatus.REPORTED,
        photo_limits={"files": MAX_PHOTOS, "bytes": MAX_BYTES},
        page_data=_page_data(actor, sections.case_no, sections.version, sections.last_event_id),
    ), status


def _page_data(actor: Actor, case_no: str, version: int, seen: int) -> dict[str, Any]:
    """What the page script needs (console-common.js reads the same element as on the live page)."""
    return {
        "user_id": actor.user_id,
        "case_no": case_no,
        "version": version,
        "seen": seen,
        "last_event_id": resume_point(),
        "sections_url": url_for("casepage.case_page_sections", case_no=case_no),
        "lang": "en" if is_english() else "zh-TW",
        "time_zone": current_settings().timezone.key,
        "api": API_PREFIX,
        "labels": labels_for_script(),
        "categories": {},
        "districts": {},
        "agencies": {},
        "urgent_categories": [],
    }

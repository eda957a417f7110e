"""The actions taken from the wall, the board and the case page on the agencies' behalf or answer:
assign from triage, re-route (改分) and merge by case number, decide a request, record a call by hand,
and the agency's own requests (申請改分, 申請展延). Each is one form post, one service call, then back
to the page it came from with a notice; a refusal is a page with the reason and the 4xx status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.access import Actor
from app.cases import actions, dead_alerts, requests
from app.cases.queries import get_case
from app.cases.wall_queues import requests_of_case
from app.db import current_session, db
from app.errors import N_, DomainError, InvalidInput
from app.i18n import is_english, message
from app.models import Case
from app.present import audience
from app.reference.cache import reference_cache
from app.settings_access import current_settings
from app.vocabulary import RequestKind, RequestState, Role
from app.web.guards import roles_required
from app.web.labels import L_, label
from app.web.pagekit import page_blueprint

bp = page_blueprint("wallact", __name__)
DECIDERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
TEXT_MAX = 1000
# Built in templates/cases/_requests.html ("requests.col." ~ column, …): listed for extraction.
BUILT_KEYS = (
    L_("requests.col.kind"),
    L_("requests.col.asked"),
    L_("requests.col.reason"),
    L_("requests.col.state"),
    L_("requests.state.pending"),
    L_("requests.state.approved"),
    L_("requests.state.refused"),
)


def _back(default: str) -> str:
    """Where to go after the action: the page the form came from, if it is one of ours."""
    target = request.form.get("next", "")
    return target if target.startswith("/console/") and "//" not in target else default


def _done(key: str, **params: Any) -> ResponseReturnValue:
    flash(label(key, **params))
    return redirect(_back(url_for("wall.page")), code=303)


def _refused(error: DomainError) -> ResponseReturnValue:
    db.session.rollback()
    fields = [message(code, **error.params) for codes in error.fields.values() for code in codes]
    return render_template(
        "web/wall/refused.html",
        refusal=message(error.code, **error.params),
        details=[text for text in fields if text],
        back=_back(url_for("wall.page")),
    ), error.status


def _text(name: str) -> str:
    return request.form.get(name, "").strip()[: TEXT_MAX + 1]


def _current_version(actor: Actor, case_no: str) -> int:
    """The version as it stands: forms on the wall name a case by number, not by a version read earlier."""
    return get_case(session=current_session(), actor=actor, case_no=case_no).version


@bp.route("/console/wall/assign", methods=["POST"])
@roles_required(DECIDERS)
def assign() -> ResponseReturnValue:
    """From triage, or 改分 of any case by its number: to the agency chosen, or by the routing rules."""
    case_no = _text("case_no")
    try:
        if not case_no:
            raise InvalidInput("validation.failed", fields={"case_no": [N_("field.required")]})
        posted = request.form.get("version", "")
        version = int(posted) if posted.isdigit() else _current_version(g.actor, case_no)
        actions.assign_case(
            session=current_session(),
            actor=g.actor,
            case_no=case_no,
            version=version,
            agency_code=_text("agency") or None,
        )
    except DomainError as error:
        return _refused(error)
    return _done(L_("wall.done.assigned"), case_no=case_no)


@bp.route("/console/wall/merge", methods=["POST"])
@roles_required(DECIDERS)
def merge() -> ResponseReturnValue:
    case_no, into = _text("case_no"), _text("into")
    try:
        if not case_no or not into:
            missing = {
                name: [N_("field.required")] for name, value in (("case_no", case_no), ("into", into)) if not value
            }
            raise InvalidInput("validation.failed", fields=missing)
        actions.merge_case(
            session=current_session(),
            actor=g.actor,
            case_no=case_no,
            version=_current_version(g.actor, case_no),
            into_case_no=into,
            reason=_text("reason") or None,
        )
    except DomainError as error:
        return _refused(error)
    return _done(L_("wall.done.merged"), case_no=case_no, into=into)


@bp.route("/console/requests/<int:request_id>/<decision>", methods=["POST"])
@roles_required(DECIDERS)
def decide(request_id: int, decision: str) -> ResponseReturnValue:
    if decision not in ("approve", "refuse"):
        return redirect(url_for("wall.page"))
    decide_with = requests.approve_request if decision == "approve" else requests.refuse_request
    try:
        decided = decide_with(session=current_session(), actor=g.actor, request_id=request_id, reason=_text("reason"))
    except DomainError as error:
        return _refused(error)
    case_no = current_session().scalar(select(Case.case_no).where(Case.id == decided.case_id))
    return _done(L_("wall.done.approved") if decision == "approve" else L_("wall.done.refused"), case_no=case_no)


@bp.route("/console/alerts/<int:notification_id>/called", methods=["POST"])
@roles_required(DECIDERS)
def called(notification_id: int) -> ResponseReturnValue:
    try:
        dead_alerts.record_agency_call(
            session=current_session(), actor=g.actor, notification_id=notification_id, note=_text("note")
        )
    except DomainError as error:
        return _refused(error)
    return _done(L_("wall.done.called"))


@bp.route("/console/cases/<case_no>/requests/<kind>", methods=["POST"])
@roles_required(frozenset({Role.AGENCY}))
def ask(case_no: str, kind: str) -> ResponseReturnValue:
    """The agency's request about its case: 申請改分 (to_agency, reason) or 申請展延 (report_due_at, reason)."""
    default = url_for("casepage.case_page", case_no=case_no)
    try:
        if kind == RequestKind.JURISDICTION.value:
            requests.request_jurisdiction(
                session=current_session(),
                actor=g.actor,
                case_no=case_no,
                to_agency=_text("to_agency"),
                reason=_text("reason"),
            )
        elif kind == RequestKind.EXTENSION.value:
            requests.request_extension(
                session=current_session(),
                actor=g.actor,
                case_no=case_no,
                report_due_at=_local_moment(_text("report_due_at")),
                reason=_text("reason"),
            )
        else:
            return redirect(default)
    except DomainError as error:
        return _refused(error)
    flash(label(L_("requests.done.asked"), case_no=case_no))
    return redirect(_back(default), code=303)


def _local_moment(value: str) -> datetime:
    """A datetime-local field (Taipei time, `2026-12-01T17:30`) as an aware moment."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput("validation.failed", fields={"report_due_at": [N_("field.bad_date")]}) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=current_settings().timezone)


@bp.app_template_global()
def case_requests(case_no: str) -> dict[str, Any]:
    """What the case page's requests section shows: the case's requests in words, and which forms to offer."""
    actor: Actor = g.actor
    session = current_session()
    case = session.scalar(select(Case).where(Case.case_no == case_no))
    if case is None:
        return {"rows": [], "may_ask": False, "may_decide": False}
    snapshot = reference_cache.snapshot(session)
    english = is_english()
    by_id = {row.id: (row.name_en if english else row.name_zh) for row in snapshot.agencies.values()}
    tz = current_settings().timezone
    view = audience.view_of(actor)  # free text as this viewer may see it: phone numbers masked for agencies
    rows = []
    for row in requests_of_case(session=session, case_id=case.id):
        if actor.is_agency and row.agency_id != actor.agency_id:
            continue  # another agency's request about a case that was once theirs
        rows.append(
            {
                "id": row.id,
                "kind": row.kind,
                "state": row.state,
                "agency": by_id.get(row.agency_id, ""),
                "to_agency": by_id.get(row.to_agency_id or -1, ""),
                "report_due_at": row.report_due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
                if row.report_due_at
                else "",
                "reason": audience.text(row.reason, view) or "",
                "decision_reason": audience.text(row.decision_reason, view) or "",
                "decidable": row.state == RequestState.PENDING.value and requests.is_current(row, case),
            }
        )
    askable = requests.askable(actor, case)
    choices = sorted(
        ((row.code, row.name_en if english else row.name_zh) for row in snapshot.agencies.values()),
        key=lambda pair: pair[0],
    )
    due = case.report_due_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if case.report_due_at else ""
    return {
        "rows": rows,
        # Only the forms the service would accept now (no 改分 while the case waits for the citizen).
        "may_ask": bool(askable),
        "askable": {kind.value for kind in askable},
        "may_decide": actor.role in DECIDERS,
        "agencies": [pair for pair in choices if pair[0] != (case.agency.code if case.agency else None)],
        "report_due_local": due,
    }

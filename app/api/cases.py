"""Cases: intake, listing and search, one case, its events, and the lifecycle actions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from flask import Response, jsonify
from sqlalchemy import Row

from app.api.auth import authenticate, current_actor, refuse_unstorable_path, require_json_body
from app.api.docs import documents_errors
from app.api.inputs import ApiBlueprint
from app.api.schemas import (
    ACTION_SCHEMAS,
    CaseCreateSchema,
    CaseListQuerySchema,
    CasePageSchema,
    CaseSchema,
    EventSchema,
    NotificationSchema,
)
from app.cases import actions, queries, review
from app.cases.deadlines import SlaContext, load_context, sla_status
from app.cases.intake import NewCase, open_case
from app.cases.lifecycle import Action
from app.db import current_session, utcnow
from app.models import Case, CaseEvent
from app.present.audience import view_of
from app.present.case import case_line_view, case_view
from app.present.deadline import sla_view
from app.present.event import event_view
from app.present.notification import notification_view
from app.settings_access import current_settings

blp = ApiBlueprint("cases", __name__, description="Cases (案件) and their audit trail")
blp.before_request(authenticate)
blp.before_request(require_json_body)
blp.before_request(refuse_unstorable_path)


def _view(case: Case, context: SlaContext | None = None) -> dict[str, Any]:
    session, tz = current_session(), current_settings().timezone
    view = case_view(case, current_actor(), tz)
    view["sla"] = sla_view(sla_status(session, case, context or load_context(session), utcnow()), tz)
    return view


@blp.route("/cases", methods=["POST"])
@blp.arguments(CaseCreateSchema)
@blp.response(201, CaseSchema)
@documents_errors(blp, 400, 403, 413, 415, 422)
def create_case(new_case: NewCase) -> Response:
    """Record a new case; routed cases go straight to their agency, answered consultations close."""
    case = open_case(
        session=current_session(), actor=current_actor(), new_case=new_case, tz=current_settings().timezone
    )
    created = jsonify(_view(case))  # from the values in hand, as CaseSchema would show them (see list_cases)
    created.status_code = 201
    return created


def _line_views(lines: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    """Cases read as queries.CASE_LINE rows, shown as `_view` shows them, SLA included."""
    session, actor, tz, now = current_session(), current_actor(), current_settings().timezone, utcnow()
    context, view = load_context(session), view_of(actor)
    paused = {line.id: line.paused_since for line in lines if line.paused_since is not None}
    shown = []
    for line in lines:
        item = case_line_view(line, actor, view, tz)
        # A CASE_LINE row carries every column sla_status reads, under the case's own names.
        item["sla"] = sla_view(sla_status(session, cast(Case, line), context, now, paused=paused), tz)
        shown.append(item)
    return shown


# The lists and the one case are answered with JSON built from the rows (the same fields, values and
# encoder as CaseSchema would give, which still documents them): marshmallow cost ~35 µs per case.
@blp.route("/cases", methods=["GET"])
@blp.arguments(CaseListQuerySchema, location="query")
@blp.response(200, CasePageSchema)
@documents_errors(blp, 400, 422)
def list_cases(query: dict[str, Any]) -> Response:
    """Cases newest first, filtered; `q` finds a case number, a caller's phone, or Chinese text."""
    page = queries.list_case_lines(session=current_session(), actor=current_actor(), **query)
    return jsonify({"items": _line_views(page.items), "next_cursor": page.next_cursor})


@blp.route("/cases/<string:case_no>", methods=["GET"])
@blp.response(200, CaseSchema)
@documents_errors(blp, 404)
def get_case(case_no: str) -> Response:
    """One case, as the caller may see it."""
    line = queries.case_line(session=current_session(), actor=current_actor(), case_no=case_no)
    return jsonify(_line_views([line])[0])


@blp.route("/cases/<string:case_no>/events", methods=["GET"])
@blp.response(200, EventSchema(many=True))
@documents_errors(blp, 404)
def list_case_events(case_no: str) -> Response:
    """The case's audit trail, oldest first."""
    session, actor = current_session(), current_actor()
    events = queries.case_event_lines(session=session, actor=actor, case_no=case_no)
    hidden = queries.hidden_case_references(session=session, actor=actor, events=events)
    tz, view = current_settings().timezone, view_of(actor)
    # Rows with the event's own column names; JSON as EventSchema would give it (see list_cases).
    return jsonify([event_view(cast(CaseEvent, event), case_no, view, tz, hidden) for event in events])


@blp.route("/cases/<string:case_no>/notifications", methods=["GET"])
@blp.response(200, NotificationSchema(many=True))
@documents_errors(blp, 404)
def list_case_notifications(case_no: str) -> list[dict[str, Any]]:
    """The SMS and calls sent about the case, oldest first, with their delivery states."""
    session, actor = current_session(), current_actor()
    rows = queries.case_notifications(session=session, actor=actor, case_no=case_no)
    return [notification_view(row, view_of(actor), current_settings().timezone) for row in rows]


# Each action's body fields, renamed to the service function's keyword arguments.
_ACTION_CALLS: dict[Action, tuple[Callable[..., Case], dict[str, str]]] = {
    Action.ASSIGN: (actions.assign_case, {"agency": "agency_code"}),
    Action.ACKNOWLEDGE: (actions.acknowledge_case, {}),
    Action.NOTE: (actions.add_note, {"text": "text"}),
    Action.REPORT: (actions.report_back, {"text": "text", "outcome": "outcome"}),
    Action.CLOSE: (actions.close_case, {"resolution": "resolution"}),
    Action.REOPEN: (actions.reopen_case, {"reason": "reason"}),
    Action.MERGE: (actions.merge_case, {"into": "into_case_no", "reason": "reason"}),
    Action.CANCEL: (actions.cancel_case, {"reason": "reason"}),
    Action.WAIT: (actions.wait_for_citizen, {"reason": "reason"}),
    Action.RESUME: (actions.resume_case, {}),
    Action.RETURN: (review.return_case, {"reason": "reason"}),
}


def _register_action(action: Action) -> None:
    service, renames = _ACTION_CALLS[action]

    def run_action(body: dict[str, Any], case_no: str) -> dict[str, Any]:
        arguments = {keyword: body.get(field) for field, keyword in renames.items()}
        case = service(
            session=current_session(), actor=current_actor(), case_no=case_no, version=body["version"], **arguments
        )
        return _view(case)

    run_action.__name__ = f"case_{action.value}"
    run_action.__doc__ = f"Lifecycle action: {action.value}. The body carries the case's current version."
    view = documents_errors(blp, 400, 403, 404, 409, 413, 415, 422)(run_action)
    view = blp.response(200, CaseSchema)(view)
    view = blp.arguments(ACTION_SCHEMAS[action])(view)
    blp.route(f"/cases/<string:case_no>/{action.value}", methods=["POST"], endpoint=f"case_{action.value}")(view)


for _action in Action:
    _register_action(_action)

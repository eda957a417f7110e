"""The intake page, the agent's home: start a call, see the caller's history, record the case or end the call.

Works without a script (server-rendered forms and errors); intake.js adds type-ahead, duplicates
while typing and the draft kept across a login. Thin: parse, call one service function, render.
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.access import Actor
from app.calls import service as calls
from app.calls.history import caller_history
from app.cases.duplicates import find_duplicates
from app.cases.intake import NewCase
from app.db import current_session, utcnow
from app.errors import DomainError, InvalidInput
from app.i18n import message
from app.models import Call
from app.present.audience import view_of
from app.present.call import call_view, national_phone, spoken_case_no
from app.settings_access import current_settings
from app.vocabulary import CallOutcome, Channel
from app.web import nav
from app.web.guards import roles_required
from app.web.intake_forms import CaseForm, EndCallForm, StartCallForm
from app.web.intake_shapes import case_lines, choices, duplicate_lines, page_data
from app.web.labels import L_
from app.web.pagekit import page_blueprint

bp = page_blueprint("intake", __name__)
nav.register(nav.Page("intake.start", L_("nav.intake"), nav.STAFF, "N", order=10))

# Service field names -> the form field that shows the error.
_CASE_FIELDS = {"category", "district", "address", "description", "reporter_name", "reporter_phone"}
_END_FIELDS = {"case_no", "answer_text", "transferred_to", "note", "article_id"}


@bp.route("/console/intake")
@roles_required(nav.STAFF)
def start() -> ResponseReturnValue:
    """A new call: the caller's number (typed or pasted; withheld or anything else is kept as unknown)."""
    actor: Actor = g.actor
    waiting = calls.calls_in_progress(session=current_session(), actor=actor)
    tz = current_settings().timezone
    return render_template(
        "web/intake/start.html",
        form=StartCallForm(),
        waiting=[call_view(call, view_of(actor), tz) for call in waiting],
        page_data=page_data(actor),
    )


@bp.route("/console/intake/calls", methods=["POST"])
@roles_required(nav.STAFF)
def start_call() -> ResponseReturnValue:
    form = StartCallForm()
    if not form.validate_on_submit():
        return render_template("web/intake/start.html", form=form, waiting=[], page_data=page_data(g.actor)), 422
    call = calls.start_call(
        session=current_session(), actor=g.actor, caller=form.caller.data, channel=Channel(form.channel.data)
    )
    return redirect(url_for("intake.call_page", call_id=call.id))


@bp.route("/console/intake/calls/<int:call_id>")
@roles_required(nav.STAFF)
def call_page(call_id: int) -> ResponseReturnValue:
    """The call: the form and the caller's history while it lasts; how it ended, and the case number, after."""
    call = calls.get_call(session=current_session(), actor=g.actor, call_id=call_id)
    if call.outcome is not None:
        return _ended(call)
    case_form = CaseForm(formdata=None, reporter_phone=national_phone(call.caller_phone))
    return _call_page(call, case_form, EndCallForm(formdata=None), fresh=True)


@bp.route("/console/intake/calls/<int:call_id>/case", methods=["POST"])
@roles_required(nav.STAFF)
def record_case(call_id: int) -> ResponseReturnValue:
    """Open the case and end the call as "case opened", in one transaction; errors beside their fields."""
    call = calls.get_call(session=current_session(), actor=g.actor, call_id=call_id)
    form, end_form = CaseForm(), EndCallForm(formdata=None)
    if not form.validate_on_submit():
        return _call_page(call, form, end_form), 422
    new_case = NewCase(
        channel=call.channel,
        category_code=form.category.data,
        district_code=form.district.data or None,
        address=form.address.data or None,
        description=form.description.data,
        reporter_name=form.reporter_name.data or None,
        reporter_phone=form.reporter_phone.data or None,
        anonymous=bool(form.anonymous.data),
        wants_sms_reply=bool(form.wants_sms.data),
    )
    try:
        calls.open_case_for_call(
            session=current_session(), actor=g.actor, call_id=call_id, new_case=new_case, tz=current_settings().timezone
        )
    except InvalidInput as refused:
        current_session().rollback()
        problem = _place_errors(refused, form, _CASE_FIELDS)
        return _call_page(call, form, end_form, problem=problem), 422
    return redirect(url_for("intake.call_page", call_id=call_id))


@bp.route("/console/intake/calls/<int:call_id>/add", methods=["POST"])
@roles_required(nav.STAFF)
def add_to_case(call_id: int) -> ResponseReturnValue:
    """追加反映: the call goes onto a case already open (a duplicate, or the caller's own), with this reporter."""
    call = calls.get_call(session=current_session(), actor=g.actor, call_id=call_id)
    form = CaseForm()
    form.validate_on_submit()  # for the CSRF token; the case's own fields are not needed here
    case_no = (request.form.get("add_case_no") or "").strip()
    try:
        calls.add_call_to_case(
            session=current_session(),
            actor=g.actor,
            call_id=call_id,
            case_no=case_no,
            reporter_name=form.reporter_name.data or None,
            reporter_phone=form.reporter_phone.data or None,
            anonymous=bool(form.anonymous.data),
            text=form.description.data or None,
        )
    except DomainError as refused:
        current_session().rollback()
        problem = _place_errors(refused, form, {"reporter_phone", "reporter_name"})
        return _call_page(call, form, EndCallForm(formdata=None), problem=problem), refused.status
    return redirect(url_for("intake.call_page", call_id=call_id))


@bp.route("/console/intake/calls/<int:call_id>/end", methods=["POST"])
@roles_required(nav.STAFF)
def end_call(call_id: int) -> ResponseReturnValue:
    """Any other ending: answered on the line (free text or an article), progress inquiry, transfer, hang-up …"""
    call = calls.get_call(session=current_session(), actor=g.actor, call_id=call_id)
    form = EndCallForm()
    inquiry = request.form.get("inquiry_case_no")  # the history's "progress inquiry" button names its case
    if inquiry:
        form.outcome.data, form.case_no.data = CallOutcome.PROGRESS_INQUIRY.value, inquiry.strip()
    if not form.validate_on_submit():
        return _call_page(call, CaseForm(formdata=None), form), 422
    try:
        calls.end_call(
            session=current_session(),
            actor=g.actor,
            call_id=call_id,
            outcome=CallOutcome(form.outcome.data),
            case_no=form.case_no.data or None,
            article_id=form.article(),
            answer_text=form.answer_text.data or None,
            transferred_to=form.destination(),
            note=form.note.data or None,
        )
    except DomainError as refused:
        current_session().rollback()
        problem = _place_errors(refused, form, _END_FIELDS)
        return _call_page(call, CaseForm(formdata=None), form, problem=problem), refused.status
    return redirect(url_for("intake.call_page", call_id=call_id))


@bp.route("/console/intake/history.json")
@roles_required(nav.STAFF)
def history_json() -> ResponseReturnValue:
    """The caller's earlier calls and cases (open first, with time left), for the page script."""
    actor: Actor = g.actor
    session, tz, now = current_session(), current_settings().timezone, utcnow()
    this_call = request.args.get("call", type=int)
    history = caller_history(
        session=session, actor=actor, caller=request.args.get("phone"), now=now, tz=tz, this_call_id=this_call
    )
    return jsonify(
        phone=history.phone,
        calls_today=history.calls_today,
        many_calls_today=history.many_calls_today,
        cases=case_lines(session, actor, history.cases, now),
        calls=[call_view(call, view_of(actor), tz) for call in history.calls],
    )


@bp.route("/console/intake/duplicates.json")
@roles_required(nav.STAFF)
def duplicates_json() -> ResponseReturnValue:
    """Open cases this report may repeat: same category, same district, last 24 h, same place; or the caller's."""
    actor: Actor = g.actor
    return jsonify(items=_duplicates(actor, request.args))


def _duplicates(actor: Actor, values: Any) -> list[dict[str, Any]]:
    session, now = current_session(), utcnow()
    found = find_duplicates(
        session=session,
        actor=actor,
        category_code=values.get("category") or "",
        district_code=values.get("district") or None,
        address=values.get("address"),
        caller=values.get("phone"),
        now=now,
    )
    return duplicate_lines(session, actor, found, now)


def _place_errors(refused: DomainError, form: Any, fields: set[str]) -> str | None:
    """Each field's message beside its field; what belongs to no field of the form, as the page's error."""
    leftover = []
    for name, codes in refused.fields.items():
        texts = [message(code, **refused.params) for code in codes]
        if name in fields and hasattr(form, name):
            getattr(form, name).errors = list(texts)
        else:
            leftover += texts
    if not refused.fields:
        leftover.append(message(refused.code, **refused.params))
    return " ".join(leftover) or None


def _call_page(
    call: Call, case_form: CaseForm, end_form: EndCallForm, *, fresh: bool = False, problem: str | None = None
) -> str:
    actor: Actor = g.actor
    session, tz, now = current_session(), current_settings().timezone, utcnow()
    history = caller_history(
        session=session, actor=actor, caller=call.caller_phone, now=now, tz=tz, this_call_id=call.id
    )
    categories, districts = choices(session)
    case_form.category.choices = [("", "")] + [(row["code"], row["name"]) for row in categories]
    case_form.district.choices = [("", "")] + [(row["code"], row["name"]) for row in districts]
    duplicates = []
    if not fresh and case_form.category.data:
        duplicates = _duplicates(
            actor,
            {
                "category": case_form.category.data,
                "district": case_form.district.data,
                "address": case_form.address.data,
                "phone": call.caller_phone,
            },
        )
    extra = {
        "call_id": call.id,
        "caller": call.caller_phone,
        "categories": categories,
        "districts": districts,
        "urls": {
            "duplicates": url_for("intake.duplicates_json"),
            "history": url_for("intake.history_json"),
            "add": url_for("intake.add_to_case", call_id=call.id),
        },
    }
    return render_template(
        "web/intake/call.html",
        call=call_view(call, view_of(actor), tz),
        caller_national=national_phone(call.caller_phone),
        form=case_form,
        end_form=end_form,
        history=history,
        history_cases=case_lines(session, actor, history.cases, now),
        history_calls=[call_view(row, view_of(actor), tz) for row in history.calls],
        duplicates=duplicates,
        fresh=fresh,
        problem=problem,
        page_data=page_data(actor, **extra),
    )


def _ended(call: Call) -> ResponseReturnValue:
    actor: Actor = g.actor
    shown = call_view(call, view_of(actor), current_settings().timezone)
    case_no = shown["case_no"]
    return render_template(
        "web/intake/ended.html",
        call=shown,
        spoken=spoken_case_no(case_no) if case_no else None,
        report_count=call.case.report_count if call.case is not None else None,
        page_data=page_data(actor, call_id=call.id),
    )

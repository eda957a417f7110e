"""The search page: a case number, a phone in any form or Chinese text, with filters, paged by the API's cursor.

The query lives in the URL (GET), so a search can be shared, reloaded and gone back to. Finding and scoping are
app/cases/queries.list_cases: an agency user finds only its agency's cases, as everywhere.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import g, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import Field, Form, SelectField, StringField
from wtforms.validators import ValidationError

from app.access import Actor
from app.cases import queries
from app.cases.queries import CaseFilter, SlaFilter
from app.db import current_session
from app.errors import InvalidInput
from app.i18n import is_english, message
from app.models import Case
from app.present.audience import view_of
from app.present.case import case_summary
from app.present.times import roc_datetime
from app.reference.cache import reference_cache
from app.reference.names import ReferenceNames
from app.settings_access import current_settings
from app.vocabulary import CaseStatus, CaseType
from app.web import nav
from app.web.casepage.views import bp
from app.web.casepage.words import coded
from app.web.guards import login_required
from app.web.labels import L_, label

PAGE_SIZE = 50
SUMMARY_CHARS = 40  # of the description, in the results; the case page has the rest
FILTERS = ("status", "type", "category", "agency", "district", "received_from", "received_to", "sla")

nav.register(nav.Page("casepage.search", L_("nav.search"), nav.EVERYONE, "S", order=30))
SLA_WORDS = (L_("search.sla.at_risk"), L_("search.sla.breached"))
# The filters' labels (the template passes them to its field macro).
FIELD_KEYS = {
    "status": L_("search.status"),
    "type": L_("search.type"),
    "category": L_("search.category"),
    "agency": L_("search.agency"),
    "district": L_("search.district"),
    "sla": L_("search.sla"),
    "received_from": L_("search.received_from"),
    "received_to": L_("search.received_to"),
}


def _valid_day(form: Form, field: Field) -> None:
    if field.data:
        try:
            date.fromisoformat(field.data)
        except ValueError as exc:
            raise ValidationError(label("search.bad_date")) from exc


class SearchForm(Form):  # type: ignore[misc]
    """The query and its filters, read from the URL; choices are filled per request, in its language."""

    q = StringField(filters=[lambda value: value.strip() if value else value])
    status = SelectField(validate_choice=False, default="")
    type = SelectField(validate_choice=False, default="")
    category = SelectField(validate_choice=False, default="")
    agency = SelectField(validate_choice=False, default="")
    district = SelectField(validate_choice=False, default="")
    received_from = StringField(validators=[_valid_day], render_kw={"type": "date"})
    received_to = StringField(validators=[_valid_day], render_kw={"type": "date"})
    sla = SelectField(validate_choice=False, default="")


def _choices(form: SearchForm, actor: Actor) -> None:
    snapshot = reference_cache.snapshot(current_session())
    english = is_english()

    def named(rows: dict[str, Any]) -> list[tuple[str, str]]:
        return [(code, row.name_en if english else row.name_zh) for code, row in sorted(rows.items())]

    anything = [("", label("search.any"))]
    form.status.choices = anything + [(status.value, coded("case_status", status.value)) for status in CaseStatus]
    form.type.choices = anything + [(kind.value, coded("case_type", kind.value)) for kind in CaseType]
    form.category.choices = anything + named(snapshot.categories)
    form.agency.choices = anything + named(snapshot.agencies)
    form.district.choices = anything + named(snapshot.districts)
    form.sla.choices = anything + [(stage.value, coded("search.sla", stage.value)) for stage in SlaFilter]
    for name in ("status", "type", "category", "agency", "district", "sla"):
        select = form[name]
        known = {code for code, _ in select.choices}
        if select.data not in known:
            select.errors = [label("search.unknown_choice")]


def _day_start(day: str, tz: ZoneInfo, *, after: bool = False) -> datetime | None:
    if not day:
        return None
    start = datetime.combine(date.fromisoformat(day), time(0), tz)
    return start + timedelta(days=1) if after else start


def _filters(form: SearchForm, actor: Actor, tz: ZoneInfo) -> CaseFilter:
    return CaseFilter(
        status=CaseStatus(form.status.data) if form.status.data else None,
        case_type=CaseType(form.type.data) if form.type.data else None,
        category=form.category.data or None,
        # An agency's own cases only, whatever the URL says (list_cases scopes it too).
        agency=None if actor.is_agency else form.agency.data or None,
        district=form.district.data or None,
        received_from=_day_start(form.received_from.data, tz),
        received_to=_day_start(form.received_to.data, tz, after=True),
        q=form.q.data or None,
        sla=SlaFilter(form.sla.data) if form.sla.data else None,
    )


def _row(case: Case, actor: Actor, names: ReferenceNames, tz: ZoneInfo) -> dict[str, Any]:
    summary = case_summary(case, view_of(actor), names, tz)
    description = summary["description"]
    open_clock = case.sla_stage and case.sla_stage not in ("met", "met_late", "stopped")
    return {
        "case_no": case.case_no,
        "received": roc_datetime(case.received_at, tz),
        "category": summary["category_name_en" if is_english() else "category_name_zh"] or summary["category"],
        "place": _place(case),
        "summary": description[:SUMMARY_CHARS] + ("…" if len(description) > SUMMARY_CHARS else ""),
        "agency": (case.agency.name_en if is_english() else case.agency.name_zh) if case.agency else "",
        "status": coded("case_status", case.status.value),
        "stage": coded("sla_stage", case.sla_stage) if open_clock else "",
        "stage_code": case.sla_stage if open_clock else "",
        "due": roc_datetime(case.sla_due_at, tz) if open_clock else "",
    }


def _place(case: Case) -> str:
    """The district and the address, the district once (addresses usually begin with it)."""
    address = case.address or ""
    if case.district is None or case.district.name_zh in address:
        return address
    return f"{case.district.name_en if is_english() else case.district.name_zh} {address}".strip()


def _link(**changes: Any) -> str:
    """This search's URL with some parameters changed (None drops one)."""
    args: dict[str, Any] = {key: value for key, value in request.args.items() if value}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for("casepage.search", **args)


@bp.route("/console/search")
@login_required
def search() -> ResponseReturnValue:
    actor: Actor = g.actor
    tz = current_settings().timezone
    form = SearchForm(request.args)
    form.validate()
    _choices(form, actor)
    page_no = request.args.get("page", "1")
    page_no_int = int(page_no) if page_no.isdigit() and 0 < int(page_no) < 100_000 else 1
    rows: list[dict[str, Any]] = []
    next_link = problem = None
    if not any(field.errors for field in form):
        try:
            found = queries.list_cases(
                session=current_session(),
                actor=actor,
                filters=_filters(form, actor, tz),
                limit=PAGE_SIZE,
                cursor=request.args.get("cursor") or None,
            )
        except InvalidInput as refusal:
            # A mistyped phone filter or an old cursor: said in words, the query kept for mending.
            problem = message(
                next(iter(refusal.fields.values()))[0] if refusal.fields else refusal.code, **refusal.params
            )
        else:
            names = ReferenceNames.load(current_session())
            rows = [_row(case, actor, names, tz) for case in found.items]
            if found.next_cursor:
                next_link = _link(cursor=found.next_cursor, page=str(page_no_int + 1))
    first = (page_no_int - 1) * PAGE_SIZE + 1
    return render_template(
        "cases/search.html",
        form=form,
        rows=rows,
        problem=problem,
        searched=any(request.args.get(name) for name in ("q", *FILTERS)),
        first=first,
        last=first + len(rows) - 1,
        page_no=page_no_int,
        next_link=next_link,
        first_link=_link(cursor=None, page=None) if page_no_int > 1 else None,
        show_agency=not actor.is_agency,
        field_keys=FIELD_KEYS,
    )

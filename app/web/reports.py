"""The mayor's office page (月報): a month picker, the summary with charts and their tables, downloads, freeze.

Works without script: the month picker is a GET form, downloads are links, freezing is a form post. A
refusal (a malformed or future month, a second freeze) is the page again with the reason, and nothing changed.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.db import current_session, utcnow
from app.errors import DomainError
from app.i18n import is_english, message
from app.reports.exports import FORMATS, MEDIA_TYPES, export, file_name
from app.reports.freeze import FREEZERS, READERS, report_view
from app.reports.freeze import freeze_month as freeze_report
from app.reports.monthly import parse_month
from app.reports.months import Month, english_roc_months
from app.reports.tables import Words, cell, report_charts, report_tables
from app.settings_access import current_settings
from app.web import nav
from app.web.guards import roles_required
from app.web.labels import L_
from app.web.pagekit import page_blueprint

bp = page_blueprint("report_pages", __name__)
nav.register(nav.Page("report_pages.page", L_("nav.reports"), READERS, "R", order=60))
bp.add_app_template_filter(cell, "report_cell")


def _default_month() -> Month:
    """Last month: the one a report is usually wanted for."""
    return Month.of(utcnow(), current_settings().timezone).previous()


@bp.route("/console/reports")
@roles_required(READERS)
def page() -> ResponseReturnValue:
    text = request.args.get("month") or str(_default_month())
    return _render(text)


def _message(error: DomainError) -> str:
    """The refusal in the reader's language; its months (given as 115年11月) too."""
    params = error.params
    if is_english():
        params = {key: english_roc_months(value) if isinstance(value, str) else value for key, value in params.items()}
    return message(error.code, **params)


def _render(text: str, refusal: DomainError | None = None, status: int = 200) -> ResponseReturnValue:
    tz, now = current_settings().timezone, utcnow()
    words = Words("en" if is_english() else "zh_TW")
    context: dict[str, Any] = {"month_text": text, "refusal": None, "report": None}
    try:
        month = parse_month(text)
        view = report_view(current_session(), g.actor, month, tz=tz, now=now)
    except DomainError as error:
        context["refusal"] = _message(error)
        return render_template("web/reports.html", **context), error.status
    report = view.as_dict(tz)
    context.update(
        report=report,
        month=month,
        tables={table.key: table for table in report_tables(report, words)},
        charts=report_charts(report, words),
        formats=FORMATS,
        may_freeze=g.actor.role in FREEZERS and report["complete"] and view.frozen is None,
        month_label=words.month(report["month"]),
        refusal=_message(refusal) if refusal else None,
    )
    return render_template("web/reports.html", **context), status


@bp.route("/console/reports/<string:month>.<string:fmt>")
@roles_required(READERS)
def download(month: str, fmt: str) -> ResponseReturnValue:
    """The report as a file (fmt: xlsx, csv as a ZIP of one CSV per table, pdf); exports are in zh-TW."""
    extension_to_format = {"xlsx": "xlsx", "zip": "csv", "pdf": "pdf"}
    if fmt not in extension_to_format:
        abort(404)
    tz = current_settings().timezone
    try:
        view = report_view(current_session(), g.actor, parse_month(month), tz=tz, now=utcnow())
    except DomainError as error:
        return _render(month, error, error.status)
    report = view.as_dict(tz)
    kind = extension_to_format[fmt]
    content = export(report, kind)
    return Response(
        content,
        mimetype=MEDIA_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="{file_name(report, kind)}"'},
    )


@bp.route("/console/reports/<string:month>/freeze", methods=["POST"])
@roles_required(FREEZERS)
def freeze(month: str) -> ResponseReturnValue:
    tz = current_settings().timezone
    try:
        parsed = parse_month(month)
        freeze_report(session=current_session(), actor=g.actor, month=parsed, tz=tz, now=utcnow())
    except DomainError as error:
        return _render(month, error, error.status)
    flash(message("report.frozen", month=parsed.label("en" if is_english() else "zh_TW")))
    return redirect(url_for("report_pages.page", month=month))

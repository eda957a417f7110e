"""The report as a PDF for signature: HTML and CSS rendered by WeasyPrint (Pango, Debian's Noto CJK fonts)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from weasyprint import HTML

from app.reports.tables import Table, Words, cell, report_charts

TEMPLATES = Path(__file__).resolve().parent / "templates"
_environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


_environment.filters["cell"] = cell


def render_html(report: Mapping[str, Any], tables: list[Table], words: Words) -> str:
    # Built by app/reports/charts.py, which escapes every text it writes.
    charts = [(chart.title, Markup(chart.svg)) for chart in report_charts(report, words)]  # noqa: S704
    template = _environment.get_template("monthly_pdf.html")
    return template.render(report=report, tables=tables, charts=charts, w=words)


def to_pdf(report: Mapping[str, Any], tables: list[Table], words: Words, step: Callable[[str], None]) -> bytes:
    html = render_html(report, tables, words)
    step("html")
    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    step("pdf")
    return pdf

"""Charts of the report as inline SVG, for the page and the PDF alike. Pure.

Each chart is an image with a title and a description for screen readers; the page shows the table
of the same numbers beside it. Colours are set by presentation attributes (no style attributes: the
consoles' CSP forbids them), and every bar carries its value in words as well as its length.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

FONT = "Noto Sans CJK TC, Noto Sans CJK, sans-serif"
BAR = "#1f5f8b"
MUTED = "#8a8f98"
INK = "#1b1b1b"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    return float(((int(value) // step) + 1) * step)


def _frame(chart_id: str, title: str, description: str, width: int, height: int, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="{FONT}" font-size="12">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def column_chart(
    chart_id: str, title: str, points: Sequence[tuple[str, float | None]], *, unit: str = "", percent: bool = False
) -> str:
    """Vertical bars, one per month: the trend of a count or a rate."""
    width, height, left, bottom, top = 640, 240, 48, 40, 16
    top_value = 100.0 if percent else _nice_max(max((value or 0 for _l, value in points), default=0))
    plot_h, slot = height - bottom - top, (width - left - 8) / max(len(points), 1)
    body = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 4}" y2="{height - bottom}" stroke="{MUTED}"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" fill="{INK}">{_fmt(top_value, percent)}</text>',
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end" fill="{INK}">0</text>',
    ]
    for index, (label, value) in enumerate(points):
        x = left + index * slot + slot * 0.15
        bar_h = 0.0 if value is None else plot_h * min(value, top_value) / top_value
        y = height - bottom - bar_h
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar_h:.1f}" fill="{BAR}">'
            f"<title>{escape(label)}: {escape(_fmt(value, percent))}{escape(unit)}</title></rect>"
        )
        body.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="10" fill="{INK}">'
            f"{escape(_fmt(value, percent))}</text>"
        )
        body.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{height - bottom + 14}" text-anchor="middle" font-size="10" '
            f'fill="{INK}">{escape(label)}</text>'
        )
    description = "; ".join(f"{label} {_fmt(value, percent)}{unit}" for label, value in points)
    return _frame(chart_id, title, description, width, height, body)


def bar_chart(chart_id: str, title: str, rows: Sequence[tuple[str, float | None, bool]]) -> str:
    """Horizontal bars of a rate per agency (0–100 %); a small sample is drawn grey and marked."""
    row_h, left, width = 22, 190, 640
    height = 16 + row_h * max(len(rows), 1)
    plot_w = width - left - 60
    body: list[str] = []
    for index, (label, value, small) in enumerate(rows):
        y = 8 + index * row_h
        bar_w = 0.0 if value is None else plot_w * value / 100.0
        mark = " *" if small else ""
        body.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" fill="{INK}">{escape(label[:16])}{mark}</text>'
        )
        body.append(
            f'<rect x="{left}" y="{y + 3}" width="{bar_w:.1f}" height="{row_h - 8}" fill="{MUTED if small else BAR}"/>'
        )
        body.append(f'<text x="{left + bar_w + 4:.1f}" y="{y + 14}" fill="{INK}">{escape(_fmt(value, True))}</text>')
    description = "; ".join(f"{label} {_fmt(value, True)}{' *' if small else ''}" for label, value, small in rows)
    return _frame(chart_id, title, description, width, height, body)


def _fmt(value: float | None, percent: bool) -> str:
    if value is None:
        return "–"
    if percent:
        return f"{value:.1f}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"

"""The report's SVG charts: an image with a title and a description of every value, text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from app.reports.charts import bar_chart, column_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_a_column_chart_says_every_value_in_its_description() -> None:
    svg = ET.fromstring(column_chart("c", "案件數 <趨勢>", [("6月", 1), ("7月", 35), ("8月", None)]))  # noqa: S314 - our own output
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "c-title c-desc"
    assert svg.find(f"{SVG}title").text == "案件數 <趨勢>"  # escaped in the markup, intact once parsed
    assert svg.find(f"{SVG}desc").text == "6月 1; 7月 35; 8月 –"
    heights = [float(rect.get("height")) for rect in svg.iter(f"{SVG}rect")]
    assert heights[1] > heights[0] > 0 and heights[2] == 0


def test_a_bar_chart_marks_small_samples_in_words_and_colour() -> None:
    svg = ET.fromstring(bar_chart("a", "回報率", [("工務局", 96.7, False), ("水利局", 100.0, True)]))  # noqa: S314 - our own output
    assert svg.find(f"{SVG}desc").text == "工務局 96.7%; 水利局 100.0% *"
    fills = [rect.get("fill") for rect in svg.iter(f"{SVG}rect")]
    assert fills[0] != fills[1]

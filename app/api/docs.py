"""Documenting error responses in the OpenAPI document."""

from __future__ import annotations

import http
from collections.abc import Callable
from typing import Any, TypeVar

from flask_smorest import Blueprint

View = TypeVar("View", bound=Callable[..., Any])


# The day in /calendar/overrides/{day}: the server accepts YYYY-MM-DD only (a real date), and says so.
DAY_IN_PATH: dict[str, Any] = {
    "in": "path",
    "name": "day",
    "required": True,
    "description": "A date, YYYY-MM-DD",
    "schema": {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
}


def documents_errors(blp: Blueprint, *statuses: int) -> Callable[[View], View]:
    """Add the error envelope as the response for each status (401 is always possible)."""

    def decorate(view: View) -> View:
        for status in sorted({401, *statuses}):
            view = blp.alt_response(status, response=http.HTTPStatus(status).name)(view)
        return view

    return decorate

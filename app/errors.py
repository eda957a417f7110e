"""Domain errors: each carries a message code, the HTTP status it maps to, and field details."""

from __future__ import annotations

from typing import Any


def N_(code: str) -> str:
    """Mark a message code written where no message() or DomainError call shows it, so extraction finds it."""
    return code


class DomainError(Exception):
    """A refusal a person can act on; the message text comes from app.i18n by its code."""

    status = 422

    def __init__(self, code: str, /, *, fields: dict[str, list[str]] | None = None, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
        self.fields = fields or {}


class InvalidInput(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class TooLarge(DomainError):
    """An upload over its size limit (a photo over 10 MB, say)."""

    status = 413


class Conflict(DomainError):
    """An illegal transition or a stale version: the case has moved on since it was read."""

    status = 409

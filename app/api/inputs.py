"""Strict input at the API boundary: JSON the database can store, and no silent type coercion."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint
from marshmallow import fields
from webargs.flaskparser import FlaskParser, abort

from app.settings_access import current_settings
from app.text_input import storable_text_problem

# Years a case, or a filter on cases, can sensibly mention; beyond them datetimes overflow.
EARLIEST_YEAR, LATEST_YEAR = 1990, 2200


class StrictJsonParser(FlaskParser):
    """webargs' parser, but nesting too deep or numbers too long are bad JSON (400), not a crash."""

    def _raw_load_json(self, req: Any) -> Any:
        try:
            return super()._raw_load_json(req)
        except (RecursionError, ValueError) as exc:
            if isinstance(exc, json.JSONDecodeError):
                raise
            abort(400, exc=exc, messages={"json": ["Invalid JSON body."]})


class ApiBlueprint(Blueprint):  # type: ignore[misc]
    ARGUMENTS_PARSER = StrictJsonParser()

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        """As flask-smorest's, but a schema class is instantiated once here: webargs would build one (deep-copying
        every field) for each request. Our schemas keep no state between loads."""
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)


class CleanSchema(ma.Schema):
    """Refuses, field by field, strings PostgreSQL or UTF-8 cannot hold."""

    @ma.pre_load
    def refuse_unstorable_text(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        problems: dict[str, list[str]] = {}
        for key, value in data.items():
            for text in (str(key), value) if isinstance(value, str) else (str(key),):
                problem = storable_text_problem(text)
                if problem:
                    problems.setdefault(storable_key(str(key)), []).append(problem)
        if problems:
            raise ma.ValidationError(problems)
        return data


def storable_key(key: str) -> str:
    return key if storable_text_problem(key) is None else repr(key)


class StrictBoolean(fields.Boolean):
    """true or false only: "yes", "1" or 1 are refused rather than guessed."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class StrictFloat(fields.Float):
    """A JSON number only; a number inside a string is refused."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        result: float = super()._deserialize(value, attr, data, **kwargs)
        return result


class LocalDateTime(fields.DateTime):
    """ISO 8601; a time without an offset is read in the city's time zone (HOTLINE_TZ)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment: datetime = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=current_settings().timezone)
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise ma.ValidationError(f"Must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}.")
        return moment

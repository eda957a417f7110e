"""The JSON API under /api/v1, documented by an OpenAPI 3 document generated from the code."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, send_from_directory
from flask_smorest import Api
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import HTTPException

from app.api import errors, idempotency
from app.api.schemas import ErrorSchema

PREFIX = "/api/v1"


class HotlineApi(Api):  # type: ignore[misc]
    """flask-smorest's Api with our error envelope in the document and in responses."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException) -> Response:
        return errors.handle_http_exception(error)


def _swagger_assets() -> Blueprint:
    # Served from the installed package: the city's network may have no internet.
    assets = Blueprint("swagger_assets", __name__)

    @assets.route(f"{PREFIX}/swagger-ui/<path:filename>")
    def swagger_asset(filename: str) -> Response:
        return send_from_directory(str(swagger_ui_path), filename)

    return assets


def init_api(app: Flask) -> None:
    from app.api import calendar, cases, reference, reports, stats

    app.config.update(
        API_TITLE="hotline1999 API",
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=f"{PREFIX}/swagger-ui/",
    )
    spec_options: dict[str, Any] = {
        "info": {
            "description": (
                "1999 citizen hotline: cases, their lifecycle and audit trail. "
                "Messages are in zh-TW by default; send Accept-Language: en for English."
            )
        },
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearerAuth": []}],
        "extra_plugins": [idempotency.IdempotencyKeyPlugin()],
    }
    api = HotlineApi(app, spec_kwargs=spec_options)
    errors.register(app)
    for blueprint in (cases.blp, reference.blp, calendar.blp, stats.blp, reports.blp):
        # After each blueprint's own authentication: keys are the user's. Once per blueprint object,
        # which outlives the apps built from it (tests build many).
        if idempotency.replay_or_claim not in blueprint.before_request_funcs.get(None, []):
            blueprint.before_request(idempotency.replay_or_claim)
            blueprint.after_request(idempotency.store_answer)
        api.register_blueprint(blueprint, url_prefix=PREFIX)
    app.register_blueprint(_swagger_assets())

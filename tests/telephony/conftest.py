"""The app as deployed with Twilio: webhooks are checked against this token and public URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from app import create_app
from app.db import db
from app.reference.cache import reference_cache
from config.settings import Settings
from tests.conftest import TZ
from tests.fake_twilio import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

PUBLIC = "https://hotline.example.gov.tw"


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    reference_cache.clear()
    settings = Settings(
        env="test",
        database_url=database_url,
        secret_key="test-secret",
        timezone=TZ,
        instance_dir=tmp_path,
        twilio_account_sid=TEST_ACCOUNT_SID,
        twilio_auth_token=TEST_AUTH_TOKEN,
        twilio_from_number="+15005550006",
        public_base_url=PUBLIC,
    )
    app = create_app(settings, TESTING=True)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


class Twilio:
    """Posts webhooks the way Twilio does: form fields, signed with the account's token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def post(self, path: str, fields: dict[str, Any], *, signature: str | None = None) -> TestResponse:
        signed = RequestValidator(TEST_AUTH_TOKEN).compute_signature(f"{PUBLIC}{path}", fields)
        headers = {"X-Twilio-Signature": signature if signature is not None else signed}
        return self.client.post(path, data=fields, headers=headers)


@pytest.fixture
def twilio(client: FlaskClient) -> Twilio:
    return Twilio(client)

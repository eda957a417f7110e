"""Fixtures for dispatch tests: a local fake Twilio server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fake_twilio import FakeTwilio


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A started FakeTwilio on a free 127.0.0.1 port, stopped after the test."""
    with FakeTwilio() as fake:
        yield fake

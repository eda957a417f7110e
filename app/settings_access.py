"""The Settings object of the running app."""

from __future__ import annotations

from flask import current_app

from config.settings import Settings
from sla.calendar import PACKAGE, HolidaySource


def current_settings() -> Settings:
    settings: Settings = current_app.config["HOTLINE_SETTINGS"]
    return settings


# Tests put another holiday source here to play a new version of the `holidays` package.
CALENDAR_SOURCE = "hotline.calendar_source"


def calendar_source() -> HolidaySource:
    """The holiday source estimated years come from: the `holidays` package unless replaced."""
    source: HolidaySource = current_app.extensions.get(CALENDAR_SOURCE, PACKAGE)
    return source

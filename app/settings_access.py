"""The Settings object of the running app."""

from __future__ import annotations

from flask import current_app

from config.settings import Settings


def current_settings() -> Settings:
    settings: Settings = current_app.config["HOTLINE_SETTINGS"]
    return settings

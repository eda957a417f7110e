"""Pick the channel the settings call for: Twilio when configured, otherwise the console."""

from __future__ import annotations

from functools import lru_cache

from config.settings import Settings, SettingsError
from dispatch.channels.base import Channel
from dispatch.channels.console import ConsoleChannel
from dispatch.channels.twilio import TwilioChannel

# One console for the whole process, so whoever inspects `.sent` sees every message.
_CONSOLE = ConsoleChannel()


def channel_for(settings: Settings) -> Channel:
    """TwilioChannel when TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are set, else the process-wide ConsoleChannel."""
    if not settings.twilio_configured:
        return _CONSOLE
    if not settings.twilio_from_number:
        raise SettingsError("TWILIO_FROM_NUMBER is required when TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are set")
    assert settings.twilio_account_sid and settings.twilio_auth_token  # guaranteed by twilio_configured
    return _twilio_channel(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_from_number,
        settings.twilio_api_base_url,
    )


@lru_cache(maxsize=8)
def _twilio_channel(account_sid: str, auth_token: str, from_number: str, api_base_url: str | None) -> TwilioChannel:
    # Cached so repeated calls share one SDK client and its pool of kept-alive connections.
    return TwilioChannel(account_sid, auth_token, from_number, api_base_url=api_base_url)

"""What the outbox sender needs from a channel, whichever provider is behind it. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Accepted:
    """The provider took the message or call: its id (Twilio SID) and first status."""

    provider_id: str
    status: str


class SendFailed(Exception):
    """The provider refused or could not be reached; `permanent` failures are never retried."""

    def __init__(self, reason: str, *, permanent: bool, code: int | None = None, maybe_sent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.code = code
        # The request reached the provider but no answer came back: it may have been accepted.
        self.maybe_sent = maybe_sent


class Channel(Protocol):
    """A provider of SMS and voice calls."""

    name: str

    def send_sms(self, *, to: str, body: str, status_callback: str | None) -> Accepted:
        """Send one SMS; raises SendFailed."""
        ...

    def place_call(self, *, to: str, twiml: str, status_callback: str | None) -> Accepted:
        """Start one voice call that plays `twiml`; raises SendFailed."""
        ...

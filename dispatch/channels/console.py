"""A channel for development without Twilio: it logs what would be sent and remembers it."""

from __future__ import annotations

import logging
from collections import deque
from typing import NamedTuple
from uuid import uuid4

from dispatch.channels.base import Accepted

logger = logging.getLogger("dispatch.console")


class ConsoleMessage(NamedTuple):
    """One thing the console channel 'sent': kind is "sms" or "call", content the body or TwiML."""

    kind: str
    to: str
    content: str


class ConsoleChannel:
    """Logs each SMS and call instead of sending it and reports it delivered at once; never touches the network."""

    name = "console"

    def __init__(self, maxlen: int = 1000) -> None:
        # Bounded so a long-running development server does not grow without limit.
        self.sent: deque[ConsoleMessage] = deque(maxlen=maxlen)

    def send_sms(self, *, to: str, body: str, status_callback: str | None) -> Accepted:
        """Log the SMS and record it; status callbacks are never made."""
        return self._record("sms", to, body)

    def place_call(self, *, to: str, twiml: str, status_callback: str | None) -> Accepted:
        """Log the call's TwiML and record it; status callbacks are never made."""
        return self._record("call", to, twiml)

    def clear(self) -> None:
        """Forget what was sent, e.g. between tests sharing the process-wide channel."""
        self.sent.clear()

    def _record(self, kind: str, to: str, content: str) -> Accepted:
        provider_id = f"console-{uuid4().hex[:24]}"
        # deque.append is atomic, so concurrent senders need no lock.
        self.sent.append(ConsoleMessage(kind, to, content))
        logger.info("[console %s] to %s (%s):\n%s", kind, to, provider_id, content)
        return Accepted(provider_id=provider_id, status="delivered")

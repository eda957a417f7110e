"""The live counters' own loop: recount after the feed pushed events, in a thread of its own.

A recount is a GROUP BY over the open cases; done in the feed's thread it held back every event
behind it (the push benchmark traced events waiting 140 ms behind one), so the feed only says
there is news and this loop recounts, at most as often as the feed allows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class CountersLoop:
    def __init__(self, recount: Callable[[], None], *, poll_seconds: float) -> None:
        self._recount, self._poll_seconds = recount, poll_seconds
        self._wake = threading.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    def run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                self._recount()
            except Exception:
                log.exception("live counters: recounting failed; trying again")
            self._wake.wait(self._poll_seconds)

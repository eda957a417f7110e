"""A token bucket per client address: a burst of connects, then a steady rate. Pure."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class ConnectLimiter:
    """Allows `burst` connects at once per key, refilled at `per_second`; forgets idle keys."""

    def __init__(self, *, burst: int, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._burst, self._rate, self._clock = float(burst), per_second, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when counted)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            tokens, counted = self._buckets.get(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - counted) * self._rate)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            if len(self._buckets) > 10_000:
                self._forget_full(now)
            return allowed

    def _forget_full(self, now: float) -> None:
        refill = self._burst / self._rate
        self._buckets = {key: value for key, value in self._buckets.items() if now - value[1] < refill}

"""Failed logins counted per account and per address (Redis where configured): past the limit, refused for a while.

A moving window of `seconds`: after `per_account` failures for one username, or `per_address` from one
address, every attempt (a right password too) is refused until the oldest failure leaves the window, so
guessing costs a lockout period per few guesses. A success clears its account's count.
"""

from __future__ import annotations

import hashlib
import time

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


def _account(username: str) -> str:
    # Hashed: the key is the same however the name is cased, and no username is written into Redis.
    return hashlib.sha256(username.strip().casefold().encode()).hexdigest()


class LoginLockout:
    """The counters behind the login form (one per web process; shared through Redis when REDIS_URL is set)."""

    def __init__(self, storage_uri: str, *, per_account: int, per_address: int, seconds: float) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        window = max(1, round(seconds))
        self._account = RateLimitItemPerSecond(per_account, window, namespace="hotline-login-account")
        self._address = RateLimitItemPerSecond(per_address, window, namespace="hotline-login-address")

    def retry_after(self, username: str, address: str) -> int | None:
        """Seconds until this account and address may try again, or None when they may now."""
        waits = []
        for item, key in ((self._account, _account(username)), (self._address, address)):
            if not self._limiter.test(item, key):
                reset_at, _remaining = self._limiter.get_window_stats(item, key)
                waits.append(max(1, int(reset_at - time.time()) + 1))
        return max(waits) if waits else None

    def failed(self, username: str, address: str) -> None:
        self._limiter.hit(self._account, _account(username))
        self._limiter.hit(self._address, address)

    def succeeded(self, username: str) -> None:
        self._limiter.clear(self._account, _account(username))

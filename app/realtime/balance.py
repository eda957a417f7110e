"""Consoles spread again over the web processes after one of them restarts.

A console's WebSocket stays on the process it reached: after a failover the survivor keeps every console
it took over, even once the other process is back. Each web process publishes its count of consoles in
Redis every `every` seconds; one holding more than its share while a peer holds less asks that surplus of
its consoles to reconnect (the `rebalance` event; app/web/static/js/hotline-live.js reconnects with its last
event id, so the replay loses and repeats nothing). nginx sends a reconnecting console where its address
hashes (`hash $remote_addr consistent`): about half of those asked go to the peer, the others come back.
An address that comes back after being asked belongs here and is not asked again for a while, so the next
rounds ask others, until the processes are even or every console left is where nginx's hash puts it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import random
import socket
import threading
import time
from collections.abc import Callable

import redis

log = logging.getLogger(__name__)

STALE_BEATS = 3  # a process not heard of for this many beats is gone (kill -9 leaves its entry behind)
ASKED_WINDOW = 30.0  # seconds: a console asked this recently and connecting again here came back here
HOME_FOR = 600.0  # seconds an address known to hash here is left alone
RECONNECT_WITHIN_MS = 2000  # the asked consoles reconnect at random within this, not all at one moment
# After a process appears or goes, and while consoles arrive: counts are in motion (a console asked to move
# too early would come straight back and be taken for one that hashes here).
SETTLE_SECONDS = 3.0


def surplus(own: int, counts: list[int]) -> int:
    """How many of this process's `own` consoles to ask to move, given every live process's count (its own
    included): those above the fair share while some peer is below it; none for a difference of one."""
    if len(counts) < 2 or own - min(counts) <= 1:
        return 0
    return max(0, own - math.ceil(sum(counts) / len(counts)))


class Balancer:
    """This process's entry in the Redis hash of console counts, and whom it has asked to move."""

    def __init__(
        self, redis_url: str, channel: str, every: float, identity: str | None = None, settle: float = SETTLE_SECONDS
    ) -> None:
        self.key = f"{channel}:consoles"
        self.every = every
        self.settle = settle
        self.identity = identity or f"{socket.gethostname()}:{os.getpid()}"
        self._redis = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self._asked: dict[str, float] = {}  # address -> when (monotonic)
        self._home: dict[str, float] = {}
        self._peers: set[str] = set()
        self._beats: dict[str, str] = {}  # each peer's last publication, as last read
        self._all_beating = False  # every peer published since this process's previous beat
        self._held = 0  # consoles here at the previous beat
        self._peers_changed_at = -math.inf
        self._lock = threading.Lock()
        self._started = False
        self.stopping = False

    def publish(self, count: int) -> list[int]:
        """Say how many consoles this process holds; return every live process's count (its own included)."""
        seconds, micro = self._redis.time()  # the server's clock: processes on several machines agree on it
        now = seconds + micro / 1e6
        self._redis.hset(self.key, self.identity, f"{count} {now}")
        counts: dict[str, int] = {}
        beats: dict[str, str] = {}
        for identity, value in self._redis.hgetall(self.key).items():
            name = identity.decode() if isinstance(identity, bytes) else str(identity)
            held, at = (value.decode() if isinstance(value, bytes) else value).split()
            if now - float(at) > STALE_BEATS * self.every:
                self._redis.hdel(self.key, identity)
            else:
                counts[name], beats[name] = int(held), at
        # A process killed a moment ago still has an entry, with the count it held: believed, it would make
        # this one ask consoles to move to a process that is gone (they come back, and are taken for home).
        # Only a peer that published again since this process's previous beat is known to be alive.
        peers = [identity for identity in beats if identity != self.identity]
        self._all_beating = all(self._beats.get(identity) not in (None, beats[identity]) for identity in peers)
        self._beats = beats
        if set(counts) != self._peers:
            self._peers, self._peers_changed_at = set(counts), time.monotonic()
        return list(counts.values())

    def withdraw(self) -> None:
        with contextlib.suppress(redis.RedisError):  # else gone in STALE_BEATS beats anyway
            self._redis.hdel(self.key, self.identity)

    def arrived(self, address: str) -> None:
        """A console connected from `address`: if it was asked to move moments ago, its hash leads here."""
        now = time.monotonic()
        with self._lock:
            if now - self._asked.get(address, -math.inf) < ASKED_WINDOW:
                self._home[address] = now

    def choose(self, addresses: dict[str, str], count: int) -> list[str]:
        """Up to `count` connections (sid -> client address) to ask, none whose address is known to hash here."""
        now = time.monotonic()
        with self._lock:
            candidates = [
                sid
                for sid, address in addresses.items()
                if now - self._home.get(address, -math.inf) > HOME_FOR
                and now - self._asked.get(address, -math.inf) > 2 * self.every
            ]
            chosen = random.sample(candidates, min(count, len(candidates)))
            for sid in chosen:
                self._asked[addresses[sid]] = now
        return chosen

    def round(self, addresses: dict[str, str], ask: Callable[[list[str]], None]) -> int:
        """One beat: publish, and ask the surplus (if any) to move; how many were asked."""
        counts = self.publish(len(addresses))
        if len(addresses) > self._held:
            # Consoles arriving (a peer just died and its consoles are reconnecting here, or a shift starts):
            # counts are in motion; wait for them to settle.
            self._peers_changed_at = time.monotonic()
        self._held = len(addresses)
        if not self._all_beating or time.monotonic() - self._peers_changed_at < self.settle:
            return 0  # a peer just came back (or went): nginx may not send it anything yet
        chosen = self.choose(addresses, surplus(len(addresses), counts))
        if chosen:
            log.info(
                "live: %d consoles here, processes hold %s: asking %d to reconnect", len(addresses), counts, len(chosen)
            )
            ask(chosen)
        return len(chosen)

    def start(self, addresses: Callable[[], dict[str, str]], ask: Callable[[list[str]], None]) -> bool:
        """Beat every `every` seconds in a thread of its own, from now on (once)."""
        with self._lock:
            if self._started:
                return False
            self._started = True

        def beat_forever() -> None:
            while not self.stopping:
                try:
                    if self.round(addresses(), ask):
                        time.sleep(self.every)  # let the asked reconnect before counting again
                except (redis.RedisError, ValueError):
                    log.warning("live: could not share console counts through Redis; trying again", exc_info=True)
                time.sleep(self.every)
            self.withdraw()

        threading.Thread(target=beat_forever, name="console-balance", daemon=True).start()
        return True

"""How a web process meets the network: forwarded headers from trusted proxies only, a bounded number of
API writes at once (beyond it a fast 503), and the database connections it may open, checked at start-up."""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from sqlalchemy import Engine, text
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header
from werkzeug.middleware.proxy_fix import ProxyFix

from app.api.errors import error_response
from app.i18n import SUPPORTED_LOCALES, message, preferred_locale
from config.settings import Settings

log = logging.getLogger(__name__)

FORWARDED = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
)
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OVERLOAD_RETRY_AFTER = 1  # seconds: a refused write is worth retrying almost at once
REFUSALS_LOGGED_EVERY = 1.0  # seconds


class TrustedProxyFix:
    """werkzeug's ProxyFix, applied only to requests whose peer is one of the trusted proxies.

    A client that reaches a web process directly (a firewall mistake, a port left open) sends whatever
    X-Forwarded-For it likes; its forwarded headers are dropped, so it is known by its own address.
    """

    def __init__(self, app: Callable[..., Any], *, hops: int, trusted: Iterable[str]) -> None:
        self.app = app
        self.fixed = ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
        self.networks = [ipaddress.ip_network(entry, strict=False) for entry in trusted]

    def trusts(self, address: str | None) -> bool:
        try:
            peer = ipaddress.ip_address((address or "").split("%", 1)[0])
        except ValueError:
            return False  # a Unix socket or garbage: not a proxy we know
        return any(peer in network for network in self.networks)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self.trusts(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        for key in FORWARDED:
            environ.pop(key, None)  # engine.io's origin check reads X-Forwarded-Host itself
        return self.app(environ, start_response)


class WriteGate:
    """At most `limit` API writes at once in this process; one more waits `wait` seconds, then 503; one that
    already waited `max_queued` seconds since the proxy accepted it (X-Request-Start) is refused at once.

    Beyond capacity, queueing on the pool (up to its 10 s timeout, holding locks meanwhile) turns an
    overload into a collapse: every request slow, none refused. Refusing early keeps the accepted ones
    fast and the throughput near capacity; the client retries after Retry-After. A gate inside the process
    sees a request only once gunicorn gives it a thread: under overload the requests wait in gunicorn's own
    queue first, unbounded, and were refused after 7-10 s. nginx stamps each API request with the moment it
    accepted it; a write that already spent the queue's whole budget there is refused without waiting, so
    the queue in front of the database work is bounded in time wherever it forms. The refusal is answered
    in WSGI, before Flask: no request context, no authentication, no database, a body rendered at start-up
    (zh-TW or en by Accept-Language), so that a flood of refusals costs the process as little as possible.
    """

    def __init__(self, limit: int, wait: float, *, max_queued: float = 0.5) -> None:
        self.limit = limit
        self.wait = wait
        self.max_queued = max_queued
        self._slots = threading.BoundedSemaphore(limit)
        self.refused = 0
        self.log_every = REFUSALS_LOGGED_EVERY
        self._logged_at: float | None = None
        self._bodies: dict[str, bytes] = {}

    def enter(self, queued: float = 0.0) -> bool:
        """Take a slot, waiting at most `wait` and no longer than what is left of the queue's budget."""
        if queued < self.max_queued and self._slots.acquire(timeout=min(self.wait, self.max_queued - queued)):
            return True
        self.refused += 1
        return False

    def leave(self) -> None:
        self._slots.release()

    def install(self, app: Flask) -> None:
        code = "http.database_busy"
        for locale in SUPPORTED_LOCALES:
            with app.test_request_context(headers={"Accept-Language": locale.replace("_", "-")}):
                busy = error_response(503, code, message(code, seconds=OVERLOAD_RETRY_AFTER))
            self._bodies[locale] = busy.get_data()
        inner = app.wsgi_app

        def gated(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
            if method not in WRITES or not path.startswith("/api/"):
                return inner(environ, start_response)
            if not self.enter(queued_seconds(environ)):
                return self._refuse(environ, start_response)
            try:
                # Flask has run the view and its teardown (the session returned to the pool) by the time it
                # returns: the body that remains is bytes. (A streamed body would not be, but writes send none.)
                return inner(environ, start_response)
            finally:
                self.leave()

        app.wsgi_app = gated  # type: ignore[method-assign]
        app.extensions["hotline_write_gate"] = self

    def _refuse(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        now = time.monotonic()
        if self._logged_at is None or now - self._logged_at >= self.log_every:  # in a flood, not one line per 503
            self._logged_at = now
            log.warning("overloaded: %d API writes at once; %d answered 503 so far", self.limit, self.refused)
        header = environ.get("HTTP_ACCEPT_LANGUAGE")
        body = self._bodies[preferred_locale(parse_accept_header(header, LanguageAccept) if header else ())]
        start_response(
            "503 SERVICE UNAVAILABLE",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Retry-After", str(OVERLOAD_RETRY_AFTER)),
            ],
        )
        return [body]


def queued_seconds(environ: dict[str, Any]) -> float:
    """How long ago the proxy accepted this request, from its `X-Request-Start: t=<epoch seconds>` (nginx's
    $msec); 0 without the header or with one that makes no sense. A client that sends the header itself is
    only ever refused sooner (nginx replaces it), so it needs no trust."""
    raw = environ.get("HTTP_X_REQUEST_START", "").removeprefix("t=")
    try:
        waited = time.time() - float(raw)
    except ValueError:
        return 0.0
    return waited if 0.0 < waited < 3600.0 else 0.0


def connection_budget(settings: Settings, *, web: int, workers: int) -> int:
    """The most connections `web` web processes and `workers` workers open on PostgreSQL (README,
    "Database connections"): each its pool and overflow, case numbers' pool; web processes the feed's;
    workers the sweep's leader lock."""
    main = settings.db_pool_size + settings.db_pool_overflow
    numbers = settings.numbers_pool_size + settings.numbers_pool_overflow
    feed = settings.feed_pool_size + settings.feed_pool_overflow
    return web * (main + numbers + feed) + workers * (main + numbers + 1)


def check_connection_budget(engine: Engine, settings: Settings, *, web: int, workers: int) -> str | None:
    """Warn (log, and return the warning) when the deployment described by HOTLINE_WEB_PROCESSES and
    HOTLINE_WORKERS could open more connections than PostgreSQL accepts; None when it fits."""
    if engine.dialect.name != "postgresql":
        return None
    try:
        with engine.connect() as connection:
            allowed = int(connection.execute(text("SHOW max_connections")).scalar_one())
            reserved = int(connection.execute(text("SHOW superuser_reserved_connections")).scalar_one())
    except Exception:  # the database may be down at start-up; requests will say so
        log.warning("could not read max_connections to check the connection budget", exc_info=True)
        return None
    need = connection_budget(settings, web=web, workers=workers)
    if need <= allowed - reserved:
        return None
    warning = (
        f"connection budget: {web} web process(es) and {workers} worker(s) may open {need} database connections, "
        f"but PostgreSQL accepts {allowed - reserved} (max_connections {allowed} - {reserved} reserved): lower "
        "HOTLINE_DB_POOL_SIZE/OVERFLOW, raise max_connections, or put PgBouncer in transaction mode in front "
        "(README, 'Database connections')"
    )
    log.warning(warning)
    return warning

"""One Settings object, read from environment variables."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, fields
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sla.clock import DEFAULT_WORKING_HOURS, parse_working_hours

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _development_secret_key(instance_dir: Path) -> str:
    """Generate the secret key once and keep it, so sessions survive restarts."""
    key_file = instance_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key, encoding="utf-8")
    key_file.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    """Every setting the system reads; see the table in README.md."""

    env: str
    database_url: str
    secret_key: str
    timezone: ZoneInfo
    redis_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    public_base_url: str | None = None
    twilio_api_base_url: str | None = None  # tests and benchmarks: a local fake Twilio
    instance_dir: Path = INSTANCE_DIR
    max_request_bytes: int = 1024 * 1024
    working_hours: tuple[tuple[time, time], ...] = DEFAULT_WORKING_HOURS
    sla_sweep_seconds: float = 30.0
    outbox_claim_seconds: float = 120.0  # a row "sending" for longer was abandoned by a dead sender
    socketio_channel: str = "hotline1999"  # the Redis channel prefix of this installation's pushes
    balance_seconds: float = 5.0  # web processes share their console counts this often (app/realtime/balance.py)
    replay_max_events: int = 2000  # a console further behind than this reloads instead of replaying
    replay_retention_seconds: float = 24 * 3600.0  # ... and so does one whose gap is older than this
    feed_poll_seconds: float = 0.5  # the live feed reads new events at least this often
    socket_connect_burst: int = 60  # connects one address may make at once ...
    socket_connects_per_second: float = 5.0  # ... and then per second
    proxy_hops: int = 0  # proxies in front (nginx: 1) whose X-Forwarded-* headers are trusted ...
    # ... and only when the request comes from one of these addresses/networks (a client reaching a
    # process directly cannot fake its address around the per-address limits).
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    # Database connections per process (README, "Database connections"): requests share this many, and
    # one that finds them all busy for db_pool_timeout seconds is answered 503 with Retry-After.
    db_pool_size: int = 10
    db_pool_overflow: int = 5
    db_pool_timeout: float = 10.0
    # DATABASE_URL leads to PgBouncer in transaction mode: no server-side prepared statements (psycopg
    # prepares a query after 5 runs; the next transaction may be on another server connection without it).
    db_pgbouncer: bool = False
    feed_pool_size: int = 3  # the live feed's own autocommit pool (web processes, PostgreSQL) ...
    feed_pool_overflow: int = 5  # ... the feed, the recount, admissions' replays
    numbers_pool_size: int = 4  # case numbers' own autocommit pool (PostgreSQL), kept open ...
    # ... and at peaks this many more, each closed when returned: with 2 + 2 an intake in ~8 opened one (a new
    # PostgreSQL backend) under 16 connections, so the same 4 are now all kept.
    numbers_pool_overflow: int = 0
    outbox_batch: int = 200  # rows one sender claims per pass ...
    outbox_threads: int = 8  # ... and sends this many at once (Twilio answers in 100-500 ms)
    # Requests doing database writes at once per process; one more waits write_wait_seconds, then 503.
    write_concurrency: int = 8
    write_wait_seconds: float = 0.25
    # An API write that already waited this long since the proxy accepted it (X-Request-Start) is refused at once.
    write_max_queue_seconds: float = 0.5
    # The deployment's shape, for the connection budget checked at start-up (README, "Database connections").
    web_processes: int = 1
    workers: int = 1
    login_failures_per_account: int = 5  # failed logins before an account is locked ...
    login_failures_per_address: int = 20  # ... or an address, for login_lockout_seconds
    login_lockout_seconds: float = 15 * 60.0
    session_lifetime_seconds: float = 12 * 3600.0  # a console login lasts one shift at most

    @property
    def driver_options(self) -> dict[str, object]:
        """connect_args for every PostgreSQL engine of a process."""
        return {"prepare_threshold": None} if self.db_pgbouncer else {}

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from the environment (or the mapping given, for tests)."""
        env_vars = dict(os.environ if environ is None else environ)
        env = env_vars.get("HOTLINE_ENV", "development")
        if env not in ("development", "test", "production"):
            raise SettingsError(f"HOTLINE_ENV must be development, test or production, not {env!r}")
        instance_dir = Path(env_vars.get("HOTLINE_INSTANCE_DIR", INSTANCE_DIR))
        database_url = env_vars.get("DATABASE_URL") or f"sqlite:///{instance_dir / 'hotline1999.db'}"
        secret_key = env_vars.get("SECRET_KEY", "")
        if not secret_key:
            if env == "production":
                raise SettingsError("SECRET_KEY is required when HOTLINE_ENV=production")
            secret_key = _development_secret_key(instance_dir)
        tz_name = env_vars.get("HOTLINE_TZ", "Asia/Taipei")
        try:
            timezone = ZoneInfo(tz_name)
        except (KeyError, ValueError) as exc:
            raise SettingsError(f"HOTLINE_TZ {tz_name!r} is not a known time zone") from exc
        defaults = {field.name: field.default for field in fields(cls)}

        def count(field: str, minimum: int = 0) -> int:
            """HOTLINE_<FIELD>, a whole number; the field's own default when unset."""
            name = f"HOTLINE_{field.upper()}"
            return _count(name, env_vars.get(name, str(defaults[field])), minimum=minimum)

        def seconds(field: str) -> float:
            """HOTLINE_<FIELD>, a positive number; the field's own default when unset."""
            name = f"HOTLINE_{field.upper()}"
            return _positive_seconds(name, env_vars.get(name, str(defaults[field])))

        return cls(
            env=env,
            database_url=_normalise_database_url(database_url),
            secret_key=secret_key,
            timezone=timezone,
            redis_url=env_vars.get("REDIS_URL") or None,
            twilio_account_sid=env_vars.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=env_vars.get("TWILIO_AUTH_TOKEN") or None,
            twilio_from_number=env_vars.get("TWILIO_FROM_NUMBER") or None,
            public_base_url=env_vars.get("PUBLIC_BASE_URL") or None,
            twilio_api_base_url=env_vars.get("TWILIO_API_BASE_URL") or None,
            instance_dir=instance_dir,
            working_hours=_working_hours(env_vars.get("HOTLINE_WORKING_HOURS")),
            sla_sweep_seconds=seconds("sla_sweep_seconds"),
            outbox_claim_seconds=seconds("outbox_claim_seconds"),
            socketio_channel=env_vars.get("HOTLINE_SOCKETIO_CHANNEL") or "hotline1999",
            replay_max_events=int(seconds("replay_max_events")),
            replay_retention_seconds=seconds("replay_retention_seconds"),
            feed_poll_seconds=seconds("feed_poll_seconds"),
            socket_connect_burst=int(seconds("socket_connect_burst")),
            proxy_hops=_proxy_hops(env_vars.get("HOTLINE_PROXY_HOPS", "0")),
            trusted_proxies=_networks(env_vars.get("HOTLINE_TRUSTED_PROXIES", ",".join(cls.trusted_proxies))),
            db_pool_size=count("db_pool_size", minimum=1),
            db_pool_overflow=count("db_pool_overflow"),
            db_pool_timeout=seconds("db_pool_timeout"),
            db_pgbouncer=_flag("HOTLINE_DB_PGBOUNCER", env_vars.get("HOTLINE_DB_PGBOUNCER", "0")),
            feed_pool_size=count("feed_pool_size", minimum=1),
            feed_pool_overflow=count("feed_pool_overflow"),
            numbers_pool_size=count("numbers_pool_size", minimum=1),
            numbers_pool_overflow=count("numbers_pool_overflow"),
            outbox_batch=count("outbox_batch", minimum=1),
            outbox_threads=count("outbox_threads", minimum=1),
            write_concurrency=count("write_concurrency", minimum=1),
            write_wait_seconds=seconds("write_wait_seconds"),
            write_max_queue_seconds=seconds("write_max_queue_seconds"),
            balance_seconds=seconds("balance_seconds"),
            web_processes=count("web_processes", minimum=1),
            workers=count("workers"),
            login_failures_per_account=count("login_failures_per_account", minimum=1),
            login_failures_per_address=count("login_failures_per_address", minimum=1),
            login_lockout_seconds=seconds("login_lockout_seconds"),
            session_lifetime_seconds=seconds("session_lifetime_seconds"),
            socket_connects_per_second=seconds("socket_connects_per_second"),
        )


def _proxy_hops(text: str) -> int:
    if not text.isdigit() or int(text) > 5:
        raise SettingsError(f"HOTLINE_PROXY_HOPS must be the number of proxies in front (0-5), not {text!r}")
    return int(text)


def _flag(name: str, text: str) -> bool:
    if text.lower() not in ("0", "1", "true", "false", "yes", "no", ""):
        raise SettingsError(f"{name} must be 1 or 0, not {text!r}")
    return text.lower() in ("1", "true", "yes")


def _networks(text: str) -> tuple[str, ...]:
    """HOTLINE_TRUSTED_PROXIES: addresses or networks (10.0.0.0/8), comma-separated."""
    entries = tuple(part.strip() for part in text.split(",") if part.strip())
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise SettingsError(
                f"HOTLINE_TRUSTED_PROXIES must list addresses or networks (127.0.0.1,::1), not {entry!r}"
            ) from exc
    return entries


def _count(name: str, text: str, minimum: int = 0) -> int:
    if not text.isdigit() or int(text) < minimum:
        raise SettingsError(f"{name} must be a whole number of at least {minimum}, not {text!r}")
    return int(text)


def _working_hours(text: str | None) -> tuple[tuple[time, time], ...]:
    if not text:
        return DEFAULT_WORKING_HOURS
    try:
        return parse_working_hours(text)
    except ValueError as exc:
        raise SettingsError(f"HOTLINE_WORKING_HOURS: {exc}") from exc


def _positive_seconds(name: str, text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise SettingsError(f"{name} must be a positive number of seconds, not {text!r}")
    return seconds


def _normalise_database_url(url: str) -> str:
    """Point plain postgresql:// URLs at psycopg 3, the driver we install."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url

"""hotline1999: the Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask, redirect

from config.settings import PROJECT_ROOT, Settings


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the app: bind extensions, register blueprints and CLI commands."""
    from app import cli
    from app.api import init_api
    from app.db import db, install_sqlite_pragmas
    from app.extensions import migrate
    from app.i18n import babel, check_catalogues, select_locale
    from app.realtime import init_realtime
    from app.reference.freshness import install as install_process_cache
    from app.serving import TrustedProxyFix, WriteGate, check_connection_budget
    from app.telephony import views as telephony_views
    from app.web import init_web

    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.instance_dir.resolve()), instance_relative_config=False)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        HOTLINE_SETTINGS=settings,
        JSON_SORT_KEYS=False,
        **overrides,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if settings.database_url.startswith("sqlite:///"):
        settings.instance_dir.mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    babel.init_app(app, locale_selector=select_locale, default_timezone=settings.timezone.key)
    check_catalogues()
    with app.app_context():
        install_sqlite_pragmas(db.engine)
        install_process_cache(app, db.engine)
    init_api(app)
    init_realtime(app, settings)
    if settings.proxy_hops:
        # Behind nginx: the client's address (connect limits), scheme and host (Socket.IO's
        # same-origin check, which compares the browser's Origin with them) come from its headers,
        # when the request comes from a trusted proxy; anyone else's forwarded headers are dropped.
        app.wsgi_app = TrustedProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, hops=settings.proxy_hops, trusted=settings.trusted_proxies
        )
    WriteGate(
        settings.write_concurrency, settings.write_wait_seconds, max_queued=settings.write_max_queue_seconds
    ).install(app)
    app.register_blueprint(telephony_views.bp)
    if settings.twilio_configured and not settings.public_base_url:
        # Twilio signs the URL it called; behind a proxy this app cannot know it and every webhook fails.
        app.logger.warning("TWILIO_* is set but PUBLIC_BASE_URL is not: Twilio webhooks will be refused (403)")
    cli.register(app)
    app.add_url_rule("/", "index", lambda: redirect("/console/live"))
    init_web(app)  # last: it exempts the API and webhook blueprints registered above from CSRF
    if settings.env != "test":
        with app.app_context():
            check_connection_budget(db.engine, settings, web=settings.web_processes, workers=settings.workers)
    return app


POOL_RECYCLE_SECONDS = 600


def _engine_options(settings: Settings) -> dict[str, Any]:
    """A bounded pool per process: a request that finds it busy waits up to db_pool_timeout, then 503."""
    pool = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_pool_overflow,
        "pool_timeout": settings.db_pool_timeout,
    }
    if settings.database_url.startswith("sqlite"):
        in_memory = settings.database_url in ("sqlite://", "sqlite:///:memory:")  # one connection, no pool
        return {"connect_args": {"check_same_thread": False, "timeout": 30}, **({} if in_memory else pool)}
    # No pre-ping: it cost a round trip per checkout (four per intake). A connection the server dropped fails
    # one request and, being a disconnect, makes the pool replace every connection older than it; recycling
    # keeps them younger than any idle timeout in between (PgBouncer, firewalls).
    options: dict[str, Any] = {**pool, "pool_recycle": POOL_RECYCLE_SECONDS}
    if settings.driver_options:
        options["connect_args"] = settings.driver_options
    return options

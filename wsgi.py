"""The entry point: `gunicorn wsgi:app` (or `flask --app wsgi run`)."""

from flask import Flask

from app import create_app

app = create_app()


def app_with_worker() -> Flask:
    """`make run` on one machine: the same app, with the SLA sweep in a thread of the web process
    (`gunicorn 'wsgi:app_with_worker()'`). Elsewhere run `flask --app wsgi worker` on its own."""
    from app.worker import start_in_process_worker

    start_in_process_worker(app)
    return app

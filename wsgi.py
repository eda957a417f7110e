"""The entry point: `gunicorn wsgi:app` (or `flask --app wsgi run`)."""

from app import create_app
from sla.scheduler import start_in_process_worker

app = create_app()
# `make run` on one machine: the SLA sweep runs inside the web process (HOTLINE_IN_PROCESS_WORKER=1).
if app.config["HOTLINE_SETTINGS"].in_process_worker:
    start_in_process_worker(app)

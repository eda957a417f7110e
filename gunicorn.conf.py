"""gunicorn's settings, read from the working directory by every `gunicorn ... wsgi:app` started here.

gunicorn answers a request line over `limit_request_line` (at most 8190) itself, with an HTML 414 the
API's clients cannot read; unlimited here, the app answers every over-long path with its JSON 414
(app/api/errors.py, 2,048 characters). In front of it nginx caps the line (large_client_header_buffers).
"""

limit_request_line = 0

# Every gunicorn started here (make run, the systemd units, the tests): no control socket, since two
# processes on one machine would share the default ~/.gunicorn/gunicorn.ctl.
control_socket_disable = True


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """A web process tells its peers it is up as soon as it starts, not at its first console: a survivor
    holding every console then asks a share of them to come over (app/realtime/balance.py)."""
    from app.realtime.connections import EXTENSION

    realtime = getattr(worker.wsgi, "extensions", {}).get(EXTENSION)
    if realtime is not None:
        realtime.start_balancing()

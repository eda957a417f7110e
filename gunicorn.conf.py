"""gunicorn's settings, read from the working directory by every `gunicorn ... wsgi:app` started here.

gunicorn answers a request line over `limit_request_line` (at most 8190) itself, with an HTML 414 the
API's clients cannot read; unlimited here, the app answers every over-long path with its JSON 414
(app/api/errors.py, 2,048 characters). In front of it nginx caps the line (large_client_header_buffers).
"""

limit_request_line = 0

# Every gunicorn started here (make run, the systemd units, the tests): no control socket, since two
# processes on one machine would share the default ~/.gunicorn/gunicorn.ctl.
control_socket_disable = True

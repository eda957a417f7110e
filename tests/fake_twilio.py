"""A local fake of Twilio's REST API (Messages and Calls) for tests and benchmarks, with failure controls."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import random
import re
import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

TEST_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
TEST_AUTH_TOKEN = "fake-twilio-auth-token"

# Wording of the errors the fake can answer with, after Twilio's documentation.
ERROR_MESSAGES: dict[int, str] = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    20503: "Service is unavailable. Please try again",
    21205: "Url parameter is required",
    21211: "Invalid 'To' Phone Number",
    21214: "'To' phone number cannot be reached",
    21217: "Phone number does not appear to be valid",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
    21602: "Message body is required",
    21603: "A 'From' phone number is required",
    21604: "A 'To' phone number is required",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number is not currently reachable via SMS",
    21614: "'To' number is not a valid mobile number",
    21635: "'To' number cannot be a landline",
    30006: "Landline or unreachable carrier",
}
_CODE_FOR_STATUS = {401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}
_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/(?P<resource>Messages|Calls)\.json$")


@dataclass
class FakeRequest:
    """One create request the fake received: `sid` is set only if it was accepted, else `failure` says why."""

    kind: str  # "sms" or "call"
    to: str
    from_: str
    body: str | None
    twiml: str | None
    status_callback: str | None
    status_callback_events: list[str]
    received_at: float  # time.time()
    received_monotonic: float  # time.monotonic()
    sid: str | None = None
    failure: str | None = None  # e.g. "http 500", "timeout", "refused 21614", "unauthorized"
    http_status: int = 201

    @property
    def accepted(self) -> bool:
        """Whether the fake answered 201 with a SID (counts as sent)."""
        return self.sid is not None

    @property
    def content(self) -> str | None:
        """The SMS body or the call's TwiML."""
        return self.body if self.kind == "sms" else self.twiml


@dataclass
class _Controls:
    fail_next: list[int] = field(default_factory=list)  # one HTTP status per coming request
    timeout_next: list[tuple[float, bool]] = field(default_factory=list)  # (seconds, accept after all)
    failure_rate: float = 0.0
    rng: random.Random = field(default_factory=random.Random)
    refused: dict[str, tuple[int, int]] = field(default_factory=dict)  # number -> (code, status)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler stuck in a timeout must not hold up stop()
    request_queue_size = 128  # the default 5 drops connections when a benchmark opens many at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up (it timed out, or the fake was stopped); report anything else."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


@dataclass
class _Answer:
    status: int
    payload: dict[str, Any]
    delay: float = 0.0


class FakeTwilio:
    """A real threaded HTTP server on 127.0.0.1 speaking enough of Twilio's 2010-04-01 API for the SDK."""

    def __init__(self, account_sid: str = TEST_ACCOUNT_SID, auth_token: str = TEST_AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._lock = threading.Lock()
        self._requests: list[FakeRequest] = []
        self._controls = _Controls()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.latency = 0.0  # seconds every accepted request takes to answer (Twilio: ~0.1-0.5 s)

    # -- lifecycle -------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Where the server listens, e.g. http://127.0.0.1:54321; pass it as TwilioChannel's api_base_url."""
        if self._server is None:
            raise RuntimeError("FakeTwilio is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeTwilio:
        """Listen on a free port and serve in a daemon thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _make_handler(self))
        self._server = server
        # A short poll interval so stop() (which waits for the serve loop to notice) takes milliseconds, not 0.5 s.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-twilio", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and cut kept-alive connections, so later requests fail to connect like a dead Twilio."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes handlers sleeping in a timeout
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- failure controls ------------------------------------------------------------------------------

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """Answer the next `n` create requests with HTTP `status` and Twilio's error JSON."""
        with self._lock:
            self._controls.fail_next.extend([status] * n)

    def timeout_next(self, n: int = 1, seconds: float = 5.0, *, accept: bool = False) -> None:
        """Sleep `seconds` before answering the next `n` create requests, so a client with a shorter timeout gives up.

        By default the request is then refused (503) and not recorded as accepted; `accept=True` models the
        ambiguous real case where Twilio did accept it but the answer came too late.
        """
        with self._lock:
            self._controls.timeout_next.extend([(seconds, accept)] * n)

    def failure_rate(self, p: float, seed: int = 0) -> None:
        """Fail each create request with 500 with probability `p`; reproducible for a given seed and request order."""
        if not 0.0 <= p <= 1.0:
            raise ValueError("p must be between 0 and 1")
        with self._lock:
            self._controls.failure_rate = p
            self._controls.rng = random.Random(seed)

    def refuse(self, number: str, code: int = 21614, status: int = 400) -> None:
        """Answer every create request to `number` with Twilio error `code` (HTTP `status`)."""
        with self._lock:
            self._controls.refused[number] = (code, status)

    def reset(self) -> None:
        """Forget received requests and every failure control."""
        with self._lock:
            self._requests.clear()
            self._controls = _Controls()

    # -- inspection ------------------------------------------------------------------------------------

    @property
    def requests(self) -> list[FakeRequest]:
        """A snapshot of every create request received, in arrival order (accepted or not)."""
        with self._lock:
            return list(self._requests)

    def accepted(self, kind: str | None = None) -> list[FakeRequest]:
        """The requests answered 201 (optionally only "sms" or "call"): what Twilio would actually send."""
        return [r for r in self.requests if r.accepted and (kind is None or r.kind == kind)]

    def duplicates(self) -> dict[tuple[str, str, str | None], int]:
        """(kind, to, body or TwiML) accepted more than once, with the count; empty means none was sent twice."""
        counts = Counter((r.kind, r.to, r.content) for r in self.accepted())
        return {key: n for key, n in counts.items() if n > 1}

    # -- request handling (called from server threads) -------------------------------------------------

    def _track(self, conn: socket.socket, alive: bool) -> None:
        with self._lock:
            if alive:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _authorised(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return user == self.account_sid and password == self.auth_token

    def _create(self, resource: str, form: dict[str, list[str]], problem: tuple[int, int, str] | None) -> _Answer:
        """Decide the answer to one create request and record it; `problem` is an auth failure found earlier."""
        kind = "sms" if resource == "Messages" else "call"
        first = {key: values[0] for key, values in form.items() if values}
        record = FakeRequest(
            kind=kind,
            to=first.get("To", ""),
            from_=first.get("From", ""),
            body=first.get("Body") if kind == "sms" else None,
            twiml=first.get("Twiml") if kind == "call" else None,
            status_callback=first.get("StatusCallback"),
            status_callback_events=form.get("StatusCallbackEvent", []),
            received_at=time.time(),
            received_monotonic=time.monotonic(),
        )
        with self._lock:
            answer = self._fail(record, *problem) if problem else self._decide(record)
            self._requests.append(record)
        return answer

    def _decide(self, record: FakeRequest) -> _Answer:
        """Apply, in order: validation, fail_next, timeout_next, failure_rate, refuse; else accept. Holds the lock."""
        controls = self._controls
        missing = _missing_parameter(record)
        if missing is not None:
            return self._fail(record, 400, missing, "invalid request")
        if controls.fail_next:
            status = controls.fail_next.pop(0)
            return self._fail(record, status, _CODE_FOR_STATUS.get(status, status), f"http {status}")
        if controls.timeout_next:
            seconds, accept = controls.timeout_next.pop(0)
            if accept:
                answer = self._accept(record)
                answer.delay = seconds
                return answer
            answer = self._fail(record, 503, 20503, "timeout")
            answer.delay = seconds
            return answer
        if controls.failure_rate and controls.rng.random() < controls.failure_rate:
            return self._fail(record, 500, 20500, "http 500 (failure rate)")
        if record.to in controls.refused:
            code, status = controls.refused[record.to]
            return self._fail(record, status, code, f"refused {code}")
        return self._accept(record)

    def _fail(self, record: FakeRequest, status: int, code: int, failure: str) -> _Answer:
        record.failure = failure
        record.http_status = status
        return _Answer(status, _error(code, status))

    def _accept(self, record: FakeRequest) -> _Answer:
        prefix = "SM" if record.kind == "sms" else "CA"
        record.sid = prefix + uuid4().hex
        record.http_status = 201
        return _Answer(201, self._resource(record), delay=self.latency)

    def _resource(self, record: FakeRequest) -> dict[str, Any]:
        """The JSON Twilio answers for a created message or call."""
        assert record.sid is not None
        now = format_datetime(datetime.fromtimestamp(record.received_at, UTC))
        resource = "Messages" if record.kind == "sms" else "Calls"
        uri = f"/2010-04-01/Accounts/{self.account_sid}/{resource}/{record.sid}.json"
        common: dict[str, Any] = {
            "sid": record.sid,
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "to": record.to,
            "from": record.from_,
            "status": "queued",
            "direction": "outbound-api",
            "date_created": now,
            "date_updated": now,
            "price": None,
            "price_unit": "USD",
            "uri": uri,
        }
        if record.kind == "sms":
            return common | {
                "body": record.body,
                "date_sent": None,
                "error_code": None,
                "error_message": None,
                "messaging_service_sid": None,
                "num_media": "0",
                "num_segments": "1",
                "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            }
        return common | {
            "parent_call_sid": None,
            "phone_number_sid": None,
            "start_time": None,
            "end_time": None,
            "duration": None,
            "answered_by": None,
            "caller_name": None,
            "forwarded_from": None,
            "group_sid": None,
            "queue_time": "0",
            "trunk_sid": None,
            "subresource_uris": {"recordings": uri.replace(".json", "/Recordings.json")},
        }

    def _list(self, resource: str, query: dict[str, list[str]]) -> dict[str, Any]:
        """Twilio's list page of accepted messages or calls, newest first, filtered by To and From if given."""
        kind = "sms" if resource == "Messages" else "call"
        to = query.get("To", [None])[0]
        from_ = query.get("From", [None])[0]
        records = [
            r
            for r in reversed(self.accepted(kind))
            if (to is None or r.to == to) and (from_ is None or r.from_ == from_)
        ]
        uri = f"/2010-04-01/Accounts/{self.account_sid}/{resource}.json"
        return {
            resource.lower(): [self._resource(r) for r in records],
            "end": max(len(records) - 1, 0),
            "first_page_uri": uri + "?PageSize=1000&Page=0",
            "next_page_uri": None,
            "previous_page_uri": None,
            "page": 0,
            "page_size": max(len(records), 1000),
            "start": 0,
            "uri": uri,
        }


def _missing_parameter(record: FakeRequest) -> int | None:
    """The Twilio error code for a missing required parameter, if any."""
    if not record.to:
        return 21604
    if not record.from_:
        return 21603
    if record.kind == "sms" and not record.body:
        return 21602
    if record.kind == "call" and not record.twiml:
        return 21205
    return None


def _error(code: int, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": ERROR_MESSAGES.get(code, f"HTTP {status}"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _make_handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.1 keep-alive, as with real Twilio, so the SDK's connection pool behaves as in production.
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; without this Nagle + delayed ACK add ~40 ms to every answer.
        disable_nagle_algorithm = True

        def setup(self) -> None:
            super().setup()
            fake._track(self.connection, alive=True)

        def finish(self) -> None:
            fake._track(self.connection, alive=False)
            with contextlib.suppress(OSError):  # the client went away (e.g. it timed out)
                super().finish()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

        def do_POST(self) -> None:
            # Read the body first: on a kept-alive connection it must be consumed whatever the answer.
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8") if length else ""
            match = _PATH.match(urlsplit(self.path).path)
            if match is None:
                self._send(404, _error(20404, 404))
                return
            form = parse_qs(raw, keep_blank_values=True)
            answer = fake._create(match["resource"], form, self._auth_problem(match))
            if answer.delay and fake._stopping.wait(answer.delay):
                return  # the fake was stopped while "hanging"; answer nothing, like a dead server
            self._send(answer.status, answer.payload)

        def do_GET(self) -> None:
            match = _PATH.match(urlsplit(self.path).path)
            if match is None:
                self._send(404, _error(20404, 404))
                return
            problem = self._auth_problem(match)
            if problem is not None:
                status, code, _ = problem
                self._send(status, _error(code, status))
                return
            self._send(200, fake._list(match["resource"], parse_qs(urlsplit(self.path).query)))

        def _auth_problem(self, match: re.Match[str]) -> tuple[int, int, str] | None:
            """(status, Twilio code, failure) when the credentials or the account in the path are wrong."""
            if not fake._authorised(self.headers.get("Authorization")):
                return (401, 20003, "unauthorized")
            if match["account"] != fake.account_sid:
                return (404, 20404, "wrong account")
            return None

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                self.close_connection = True  # the client gave up before the answer

    return Handler

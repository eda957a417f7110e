"""Twilio SMS and voice through the official SDK, with its errors sorted into permanent and temporary."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from dispatch.channels.base import Accepted, SendFailed

logger = logging.getLogger(__name__)

# Twilio error codes that mean this recipient cannot be reached this way: retrying only repeats the refusal.
PERMANENT_ERROR_CODES: dict[int, str] = {
    21211: "'To' number is not a valid phone number",
    21214: "'To' number cannot be reached",
    21217: "'To' number does not appear to be a valid phone number",
    21408: "sending to the 'To' number's region is not enabled on this Twilio account",
    21610: "the recipient has unsubscribed (replied STOP)",
    21612: "Twilio cannot route a message to the 'To' number",
    21614: "'To' number is not a mobile number",
    21635: "'To' number is a landline",
    30004: "the message was blocked (the recipient blocks it, or it is on a do-not-send list)",
    30005: "'To' number is unknown or no longer exists",
    30006: "'To' number is a landline or its carrier is unreachable",
}

# Our account or configuration is wrong (token, SID, From number): every message would fail alike.
# Kept as temporary so that nothing is lost, and fixed settings send them all.
CONFIGURATION_ERROR_CODES = frozenset({20003, 20404, 21212, 21606})

# Plain-English wording for common codes that are not in the permanent set; their HTTP status decides.
OTHER_ERROR_CODES: dict[int, str] = {
    20003: "Twilio rejected the account SID / auth token (check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)",
    20404: "the Twilio resource was not found (check TWILIO_ACCOUNT_SID)",
    20429: "Twilio is rate-limiting this account",
    20500: "Twilio had an internal error",
    20503: "Twilio is temporarily unavailable",
    21212: "'From' number is not a valid phone number (check TWILIO_FROM_NUMBER)",
    21606: "'From' number cannot send SMS (check TWILIO_FROM_NUMBER)",
}

CALL_STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]


def _is_twilio_host(host: str) -> bool:
    return host == "twilio.com" or host.endswith(".twilio.com")


POOL_SIZE = 32  # kept-alive connections to the provider: at least HOTLINE_OUTBOX_THREADS × senders in a process


class RedirectingHttpClient(TwilioHttpClient):  # type: ignore[misc]  # the SDK ships no type information
    """The SDK's own HTTP client, with https://*.twilio.com URLs sent to `base_url` instead (a local fake)."""

    def __init__(self, base_url: str, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        parts = urlsplit(base_url)
        if not parts.scheme or not parts.netloc:
            raise ValueError(f"Twilio API base URL must look like http://host:port, not {base_url!r}")
        self._scheme = parts.scheme
        self._netloc = parts.netloc
        self._prefix = parts.path.rstrip("/")
        if self.session is not None:
            # The SDK sizes its pool only for https://; give a plain-http fake the same, so concurrency matches.
            self.session.mount("http://", HTTPAdapter(pool_maxsize=POOL_SIZE))

    def rewrite(self, url: str) -> str:
        """Point a Twilio URL at the base URL; anything else passes through unchanged."""
        parts = urlsplit(url)
        if parts.scheme != "https" or not _is_twilio_host(parts.hostname or ""):
            return url
        return urlunsplit((self._scheme, self._netloc, self._prefix + parts.path, parts.query, parts.fragment))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        """Send the request to the rewritten URL."""
        return super().request(method, self.rewrite(url), *args, **kwargs)


class TwilioChannel:
    """SMS and voice calls through Twilio; every failure comes out as SendFailed."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        *,
        api_base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        self.from_number = from_number
        self.timeout = timeout
        http_client = (
            RedirectingHttpClient(api_base_url, timeout=timeout) if api_base_url else TwilioHttpClient(timeout=timeout)
        )
        if getattr(http_client, "session", None) is not None:
            # The SDK keeps min(32, cores + 4) connections: 6 on two cores, fewer than the outbox's parallel sends
            # (HOTLINE_OUTBOX_THREADS), so connections (TLS handshakes with Twilio) were opened and dropped.
            http_client.session.mount("https://", HTTPAdapter(pool_maxsize=POOL_SIZE))
        self._client = Client(account_sid, auth_token, http_client=http_client)

    def send_sms(self, *, to: str, body: str, status_callback: str | None) -> Accepted:
        """Send one SMS; raises SendFailed."""
        kwargs: dict[str, Any] = {"to": to, "from_": self.from_number, "body": body}
        if status_callback is not None:
            kwargs["status_callback"] = status_callback
        return self._create("SMS", self._client.messages.create, kwargs)

    def place_call(self, *, to: str, twiml: str, status_callback: str | None) -> Accepted:
        """Start one voice call that plays `twiml`; raises SendFailed."""
        kwargs: dict[str, Any] = {"to": to, "from_": self.from_number, "twiml": twiml}
        if status_callback is not None:
            kwargs["status_callback"] = status_callback
            kwargs["status_callback_event"] = CALL_STATUS_EVENTS
        return self._create("call", self._client.calls.create, kwargs)

    def find_sent(self, *, kind: str, to: str, body: str, since: datetime) -> Accepted | None:
        """An SMS to `to` with this text that Twilio accepted at or after `since`, for a sender that died
        mid-send. Calls cannot be matched by content, so for them this always says no (a call may repeat).
        """
        if kind != "sms":
            return None
        try:
            for message in self._client.messages.list(to=to, limit=50):
                created = message.date_created
                recent = created is None or created >= since - timedelta(seconds=5)  # clocks differ a little
                if message.body == body and message.sid and recent:
                    return Accepted(provider_id=str(message.sid), status=str(message.status or "sent"))
        except (TwilioException, requests.exceptions.RequestException, json.JSONDecodeError):
            logger.warning("could not ask Twilio whether an SMS to %s was already sent; sending it", to)
        return None

    def _create(self, what: str, create: Any, kwargs: dict[str, Any]) -> Accepted:
        try:
            instance = create(**kwargs)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _from_twilio_error(exc) from exc
        except requests.exceptions.ConnectTimeout as exc:
            # No connection was made, so Twilio certainly did not get the request.
            raise SendFailed(f"could not connect to Twilio within {self.timeout:g}s", permanent=False) from exc
        except requests.exceptions.Timeout as exc:
            # The request went out but no answer came: Twilio may or may not have accepted it.
            raise SendFailed(
                f"Twilio did not answer within {self.timeout:g}s (the {what} may or may not have been accepted)",
                permanent=False,
                maybe_sent=True,
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            raise SendFailed(f"could not reach Twilio: {_first_line(exc)}", permanent=False) from exc
        except requests.exceptions.RequestException as exc:
            raise SendFailed(f"HTTP error talking to Twilio: {_first_line(exc)}", permanent=False) from exc
        except json.JSONDecodeError as exc:
            # A 2xx whose body is not JSON: most likely a proxy in the way, so trying again is reasonable.
            raise SendFailed("Twilio answered with something that is not JSON", permanent=False) from exc
        except TwilioException as exc:
            raise SendFailed(f"Twilio SDK error: {_first_line(exc)}", permanent=False) from exc
        sid = getattr(instance, "sid", None)
        if not sid:
            raise SendFailed(f"Twilio accepted the {what} but returned no SID", permanent=False)
        status = str(getattr(instance, "status", None) or "queued")
        logger.info("Twilio accepted %s to %s: %s (%s)", what, kwargs["to"], sid, status)
        return Accepted(provider_id=str(sid), status=status)


def _from_twilio_error(exc: TwilioRestException | TwilioServiceException) -> SendFailed:
    """Turn an error answer from Twilio into SendFailed, deciding whether trying again could help."""
    status = int(exc.status)
    # When the error body is not Twilio's JSON the SDK puts the HTTP status in `code`; that is no Twilio code.
    code: int | None = int(exc.code) if exc.code is not None and exc.code != status else None
    if code in PERMANENT_ERROR_CODES:
        return SendFailed(f"Twilio {code}: {PERMANENT_ERROR_CODES[code]}", permanent=True, code=code)
    # 429, 5xx and our own misconfiguration may clear up; any other 4xx is a problem with this request.
    permanent = 400 <= status < 500 and status not in (401, 403, 404, 429) and code not in CONFIGURATION_ERROR_CODES
    if code is not None and code in OTHER_ERROR_CODES:
        reason = f"Twilio {code} (HTTP {status}): {OTHER_ERROR_CODES[code]}"
    elif code is not None:
        reason = f"Twilio {code} (HTTP {status}): {_twilio_message(exc)}"
    else:
        reason = f"Twilio answered HTTP {status}: {_twilio_message(exc)}"
    return SendFailed(reason, permanent=permanent, code=code)


def _twilio_message(exc: TwilioRestException | TwilioServiceException) -> str:
    if isinstance(exc, TwilioServiceException):
        return str(exc.detail or exc.title)
    # The SDK prefixes Twilio's own message with what it was doing; keep only Twilio's words.
    message = str(exc.msg or "")
    for prefix in ("Unable to create record: ", "Unable to create record"):
        if message.startswith(prefix):
            message = message[len(prefix) :]
            break
    return message or "no further detail"


def _first_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]

"""The webhook endpoints. Thin: check the signature, call one service function, answer TwiML."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from app.db import current_session, utcnow
from app.settings_access import current_settings
from app.telephony import replies
from app.telephony.receipts import answered_once

log = logging.getLogger(__name__)

bp = Blueprint("telephony", __name__, url_prefix="/telephony")


def public_url() -> str:
    """The URL Twilio called: the configured public base (we may sit behind a proxy) plus path and query."""
    base = (current_settings().public_base_url or request.host_url).rstrip("/")
    query = request.query_string.decode()
    return f"{base}{request.path}" + (f"?{query}" if query else "")


@bp.before_request
def check_signature() -> None:
    """403 unless X-Twilio-Signature proves the request came from our Twilio account."""
    token = current_settings().twilio_auth_token
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature or not RequestValidator(token).validate(public_url(), request.form, signature):
        log.warning("refused a webhook with a missing or bad signature: %s", request.path)
        abort(403)


def _twiml(body: str) -> Response:
    return Response(body, mimetype="text/xml")


@bp.post("/sms/inbound")
def inbound_sms() -> Response:
    def handle() -> Response:
        reply = replies.reply_to_sms(
            current_session(), sender=request.form.get("From", ""), body=request.form.get("Body", ""), now=utcnow()
        )
        response = MessagingResponse()
        response.message(reply)
        return _twiml(str(response))

    return answered_once(current_session(), "sms", request.form.get("MessageSid") or "", handle)


@bp.post("/voice/<int:notification_id>/keypress")
def keypress(notification_id: int) -> Response:
    def handle() -> Response:
        twiml = replies.answer_keypress(
            current_session(),
            notification_id=notification_id,
            digits=request.form.get("Digits", ""),
            gather_url=public_url(),
            now=utcnow(),
        )
        return _twiml(twiml)

    # One call gathers several keys (2 repeats, then 1): each key pressed on the call is one request.
    call_sid = request.form.get("CallSid") or ""
    key = f"{call_sid}:{notification_id}:{request.form.get('Digits', '')}" if call_sid else ""
    return answered_once(current_session(), "keypress", key, handle)


@bp.post("/status")
def status_callback() -> Response:
    sid = request.form.get("MessageSid") or request.form.get("CallSid") or ""
    status = request.form.get("MessageStatus") or request.form.get("CallStatus") or ""

    def handle() -> Response:
        known = replies.record_status(
            current_session(), sid=sid, status=status, error_code=request.form.get("ErrorCode"), now=utcnow()
        )
        if not known:
            log.info("status callback for an unknown SID %s (%s): ignored", sid, status)
        return Response("", status=200)

    key = f"{sid}:{status.lower()}" if sid else ""
    return answered_once(current_session(), "status", key, handle, rerun_unfinished=True)

"""Every Twilio webhook answered once per SID: Twilio retries, and a replayed request must not act again.

The SID is claimed (committed) before the request is handled, and the answer is stored after it. A
second delivery of an answered SID gets the stored answer and changes nothing: a replayed "1" can never
acknowledge the case dispatched since. An SMS reply or a keypress whose first delivery is still being
handled (or whose handler died) is answered with nothing rather than handled twice: at most once, since
the alert ladder calls whoever did not get through. A status callback, which only ever moves a row
forward, is handled again when its first delivery never finished.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import utcnow, write_transaction
from app.request_state import WebhookReceipt

_SID_LENGTH = 80


def _stored_key(key: str) -> str:
    # Twilio's SIDs are 34 characters; anything longer is kept by its hash rather than cut.
    return key if len(key) <= _SID_LENGTH else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def answered_once(
    session: Session, kind: str, key: str, handle: Callable[[], Response], *, rerun_unfinished: bool = False
) -> Response:
    """The answer to this webhook: handled now if its SID is new, else the answer stored the first time."""
    if not key:
        return handle()  # Twilio always sends a SID; without one there is nothing to recognise a retry by
    key = _stored_key(key)
    claimed = _claim(session, kind, key, rerun_unfinished)
    if isinstance(claimed, Response):
        return claimed
    try:
        response = handle()
    except BaseException:
        with write_transaction(session):
            receipt = session.get(WebhookReceipt, claimed)
            if receipt is not None:
                session.delete(receipt)  # nothing was answered: Twilio's retry is handled afresh
        raise
    with write_transaction(session):
        receipt = session.get(WebhookReceipt, claimed)
        if receipt is not None:
            receipt.completed_at = utcnow()
            receipt.status_code = response.status_code
            receipt.mimetype = response.mimetype
            receipt.outcome = response.get_data(as_text=True)
    return response


def _claim(session: Session, kind: str, key: str, rerun_unfinished: bool) -> int | Response:
    """The new receipt's id, or the response to give a SID seen before."""
    try:
        with write_transaction(session):
            receipt = session.scalar(
                select(WebhookReceipt).where(WebhookReceipt.kind == kind, WebhookReceipt.sid == key)
            )
            if receipt is None:
                receipt = WebhookReceipt(kind=kind, sid=key, received_at=utcnow())
                session.add(receipt)
                session.flush()
                return receipt.id
            if receipt.completed_at is not None:
                return Response(receipt.outcome or "", status=receipt.status_code or 200, mimetype=receipt.mimetype)
            if rerun_unfinished:
                receipt.received_at = utcnow()
                return receipt.id
    except IntegrityError:
        pass  # the same SID claimed by a concurrent delivery a moment ago
    return _nothing_to_say(kind)


def _nothing_to_say(kind: str) -> Response:
    if kind == "status":
        return Response("", status=200)
    return Response('<?xml version="1.0" encoding="UTF-8"?><Response />', mimetype="text/xml")

"""Idempotency-Key on every POST of the API: a retry of a request whose answer was lost gets that answer.

The key is the client's (any printable ASCII, up to 255 characters), scoped to the user and kept 24 h.
The request's fingerprint (method, path, query and JSON body, canonical) is stored with the key before
the request is handled, and the answer (any status below 500) after. The same key with the same request
returns the stored answer (`Idempotent-Replayed: true`) and changes nothing; with another request, 422;
while the first is still being handled, 409 with Retry-After. A 5xx is not stored: the retry runs again.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from typing import Any, ClassVar

from apispec import BasePlugin
from flask import Response, g, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.api.auth import current_actor
from app.api.errors import error_response
from app.db import current_session, utcnow, write_transaction
from app.i18n import message
from app.request_state import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEEP = timedelta(hours=24)
# A claim whose request never finished (its process died) stops blocking retries after this.
ABANDONED = timedelta(minutes=2)
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_CLAIM = "idempotency_claim"


def _fingerprint() -> str:
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        body = raw.decode("utf-8", "replace")  # not JSON: the handler refuses it; compare the bytes
    text = "\n".join((request.method, request.path, request.query_string.decode("latin-1"), body))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def replay_or_claim() -> Response | None:
    """Before a POST with the header: the stored answer, a refusal, or None after claiming the key."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return None
    if not _KEY.match(key):
        return error_response(400, "idempotency.invalid_key", message("idempotency.invalid_key"))
    actor, fingerprint, now = current_actor(), _fingerprint(), utcnow()
    session = current_session()
    try:
        with write_transaction(session):
            # The user's expired keys go first (an index range on created_at): they may be reused.
            session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.user_id == actor.user_id, IdempotencyRecord.created_at < now - KEEP
                )
            )
            record = session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.user_id == actor.user_id, IdempotencyRecord.key == key
                )
            )
            if record is not None and record.status_code is None and record.created_at < now - ABANDONED:
                session.delete(record)
                session.flush()
                record = None
            if record is None:
                record = IdempotencyRecord(user_id=actor.user_id, key=key, fingerprint=fingerprint, created_at=now)
                session.add(record)
                session.flush()
                g.setdefault(_CLAIM, record.id)
                return None
            if record.fingerprint != fingerprint:
                return error_response(422, "idempotency.key_reused", message("idempotency.key_reused"))
            if record.status_code is None:
                return _in_progress()
            replay = Response(record.body or "", status=record.status_code, mimetype="application/json")
            replay.headers[REPLAYED_HEADER] = "true"
            return replay
    except IntegrityError:
        return _in_progress()  # the same key claimed by a concurrent request a moment ago


def _in_progress() -> Response:
    response = error_response(409, "idempotency.in_progress", message("idempotency.in_progress"))
    response.headers["Retry-After"] = "1"
    return response


def store_answer(response: Response) -> Response:
    """After the request that claimed a key: keep its answer, or free the key after a 5xx."""
    claim = g.pop(_CLAIM, None)
    if claim is None:
        return response
    session = current_session()
    try:
        session.rollback()  # whatever the handler left behind is not ours to commit
        with write_transaction(session):
            record = session.get(IdempotencyRecord, claim)
            if record is None:
                return response
            if response.status_code >= 500:
                session.delete(record)
            else:
                record.status_code = response.status_code
                record.body = response.get_data(as_text=True)
    except Exception:  # the answer stands; an unfinished claim stops blocking retries after ABANDONED
        session.rollback()
    return response


class IdempotencyKeyPlugin(BasePlugin):
    """Documents the Idempotency-Key header on every POST operation of the OpenAPI document."""

    PARAMETER: ClassVar[dict[str, Any]] = {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": (
            "Any printable ASCII up to 255 characters, new for each logical request. Kept 24 h per user: "
            "the same key with the same request returns the stored answer (header Idempotent-Replayed: true); "
            "with another request 422 idempotency.key_reused; while the first is handled 409 idempotency.in_progress."
        ),
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    }

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None, **_: Any) -> None:
        post = (operations or {}).get("post")
        if post is not None:
            post.setdefault("parameters", []).append(dict(self.PARAMETER))

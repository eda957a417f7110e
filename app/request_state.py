"""What the server remembers of requests: webhook receipts, idempotency keys, console sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, BigId, UTCDateTime, utcnow


class WebhookReceipt(Base):
    """One Twilio webhook by its SID (Twilio retries): the answer given, so a replay gets it again."""

    __tablename__ = "webhook_receipts"
    __table_args__ = (UniqueConstraint("kind", "sid", name="uq_webhook_receipts_kind_sid"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # sms, keypress, status
    sid: Mapped[str] = mapped_column(String(80))  # MessageSid, CallSid:Digits, Sid:status
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    mimetype: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str | None] = mapped_column(Text)  # the body answered (TwiML or empty)


class IdempotencyRecord(Base):
    """An API POST sent with an Idempotency-Key: its fingerprint and, once answered, the answer (24 h)."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_records_user_id_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of method, path and body
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status_code: Mapped[int | None] = mapped_column(Integer)  # None: still being handled
    body: Mapped[str | None] = mapped_column(Text)


class ConsoleSession(Base):
    """A console login, server-side: the cookie holds a random id whose hash is stored here, so a
    logout, a deactivation or the lifetime ends it even if the cookie was copied."""

    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

"""The administrators' change log: who changed which setting, when, from what to what (re-exported by app.models)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, BigId, UTCDateTime, utcnow


class AdminChange(Base):
    """One administrative change (a user, an agency, a roster entry, a rule, a policy, a calendar day).
    Append-only: the migration's triggers refuse updates and deletes."""

    __tablename__ = "admin_changes"
    __table_args__ = (
        Index("ix_admin_changes_object", "object_type", "object_key", "occurred_at"),
        Index("ix_admin_changes_actor_id_occurred_at", "actor_id", "occurred_at"),
        Index("ix_admin_changes_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None for changes made from the command line or the seed files without a user.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(80))  # kept as it was, should the user be renamed
    object_type: Mapped[str] = mapped_column(String(40))  # user, agency, roster_entry, category, sla_policy…
    object_key: Mapped[str] = mapped_column(String(120))  # the object's code, username or id, as people know it
    action: Mapped[str] = mapped_column(String(40))  # created, updated, deactivated, reactivated, deleted…
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # None when created
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # None when deleted


class RosterShift(Base):
    """A weekly duty shift of an agency (值班表): on the listed day tokens, from start to end (past midnight
    if end <= start), one person and phone. The rule who is on duty is dispatch/roster.py."""

    __tablename__ = "roster_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    days: Mapped[str] = mapped_column(String(80))  # comma-separated tokens: mon … sun, holiday, makeup
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RosterOverride(Base):
    """A one-off duty of an agency (leave cover, typhoon standby): it beats the weekly shifts while it lasts."""

    __tablename__ = "roster_overrides"
    __table_args__ = (Index("ix_roster_overrides_agency_id_ends_at", "agency_id", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    name: Mapped[str] = mapped_column(String(80))
    phone: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

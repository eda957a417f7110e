"""The data model: reference data, users, cases, their audit trail, and the outbox."""

# The enums live in app.vocabulary (pure); they are re-exported here for convenience.

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.db import Base, BigId, UTCDateTime, utcnow
from app.vocabulary import CallOutcome, CaseStatus, CaseType, Channel, EventType, NotificationStatus, Role

DESCRIPTION_MAX = 4000


def _enum(enum_class: type[enum.Enum], name: str, length: int = 20) -> Enum:
    # Stored as plain strings with a CHECK, so adding a value is a small migration.
    return Enum(enum_class, name=name, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class District(Base):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(160))
    duty_phones: Mapped[list[str]] = mapped_column(JSON, default=list)
    supervisor_phones: Mapped[list[str]] = mapped_column(JSON, default=list)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    district: Mapped[District | None] = relationship()


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(120))
    case_type: Mapped[CaseType] = mapped_column(_enum(CaseType, "case_type"))
    default_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    default_agency: Mapped[Agency | None] = relationship(lazy="joined")


class RoutingRule(Base):
    __tablename__ = "routing_rules"
    __table_args__ = (UniqueConstraint("category_id", "district_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("(role = 'agency') = (agency_id IS NOT NULL)", name="agency_role_has_agency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A temporary password (set by an administrator) must be replaced at the next login.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    language: Mapped[str | None] = mapped_column(String(8))  # "zh-TW" or "en"; None: the browser's

    agency: Mapped[Agency | None] = relationship()


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: until revoked
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # to the minute (written at most once a minute)

    user: Mapped[User] = relationship()


class CaseNumberCounter(Base):
    """The last sequence number handed out on one Taipei calendar day."""

    __tablename__ = "case_number_counters"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


_CLOCKS_AND_DUES: tuple[str, ...] = ("ack_clock_seconds", "ack_window_seconds", "ack_due_at", "report_clock_seconds")
_CLOCKS_AND_DUES += ("report_window_seconds", "report_due_at")
_ENDS = ("report_due_at", "merged_at", "cancelled_at")
_SPLITS = ("category_id", "district_id", "channel", "created_at", "closed_at")


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_agency_id_id", "agency_id", "id"),
        Index("ix_cases_status_id", "status", "id"),
        Index("ix_cases_sla_stage_sla_due_at", "sla_stage", "sla_due_at"),
        # An agency's at-risk and breached lists (migration 0018), nearest deadline first.
        Index("ix_cases_agency_id_sla_stage_sla_due_at", "agency_id", "sla_stage", "sla_due_at", "id"),
        # Duplicates while an agent types: the same category in the same district, received lately.
        Index("ix_cases_category_id_district_id_received_at", "category_id", "district_id", "received_at"),
        CheckConstraint(f"length(description) <= {DESCRIPTION_MAX}", name="description_length"),
        # The monthly report (migration 0013): a month of cases read from the index alone.
        Index(
            "ix_cases_monthly_report", "received_at", "agency_id", "case_type", "status", *_CLOCKS_AND_DUES, *_SPLITS
        ),
        Index("ix_cases_reported_at", "reported_at", "received_at", "agency_id", "case_type", "status", *_ENDS),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_no: Mapped[str] = mapped_column(String(16), unique=True)
    case_type: Mapped[CaseType] = mapped_column(_enum(CaseType, "case_type"))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus, "case_status"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text)
    # description + address as the search indexes hold them (app.cases.search.search_text)
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_phone: Mapped[str | None] = mapped_column(String(20), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    wants_sms_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution: Mapped[str | None] = mapped_column(Text)
    report_text: Mapped[str | None] = mapped_column(Text)
    report_outcome: Mapped[str | None] = mapped_column(String(30))  # app.vocabulary.ReportOutcome of the last report
    parent_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # SLA: the policy (and its version) that set the deadlines, and where the case stands.
    # A reopened case starts a new round, so its milestones can fire again.
    sla_policy: Mapped[str | None] = mapped_column(String(120))
    sla_policy_version: Mapped[int | None] = mapped_column(Integer)
    sla_round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sla_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ack_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    report_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the pending deadline that comes first
    sla_stage: Mapped[str | None] = mapped_column(String(20))
    next_sla_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The alert ladder of an urgent dispatch: the last step taken and when the next one is due,
    # and the ladder version it started with (NULL for ladders started before they were versioned).
    alert_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    alert_ladder: Mapped[str | None] = mapped_column(String(120))
    alert_ladder_version: Mapped[int | None] = mapped_column(Integer)
    # Reports of this matter: 1 at intake, one more for each caller added to it (report_added events).
    report_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # 展延: counting time added to this round's report window by an approved extension; a new round drops it.
    report_extension_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The case's own clock (working time for petitions, pauses left out) read when the agency
    # acknowledged and reported back in this round, and the windows it was held to (with any
    # approved extension): the monthly report aggregates these in SQL. NULL: not reached yet.
    ack_clock_seconds: Mapped[int | None] = mapped_column(Integer)
    ack_window_seconds: Mapped[int | None] = mapped_column(Integer)
    report_clock_seconds: Mapped[int | None] = mapped_column(Integer)
    report_window_seconds: Mapped[int | None] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read once by the mapper

    category: Mapped[Category] = relationship(lazy="joined", innerjoin=True)
    district: Mapped[District | None] = relationship(lazy="joined")
    agency: Mapped[Agency | None] = relationship(lazy="joined")
    parent_case: Mapped[Case | None] = relationship(remote_side=[id])


# The events the monthly report counts per agency (re-routed away, returned, extended), as SQL: the
# partial index below and the report's query carry this same text (SQLite uses a partial index only then).
REPORT_EVENT_KINDS = (EventType.CASE_ASSIGNED, EventType.CASE_RETURNED, EventType.EXTENSION_APPROVED)
REPORT_KINDS_WHERE = f"event_type IN ({', '.join(repr(str(kind)) for kind in REPORT_EVENT_KINDS)})"


class CaseEvent(Base):
    """One thing that happened to a case. Append-only: the database refuses updates and deletes."""

    __tablename__ = "case_events"
    __table_args__ = (
        Index("ix_case_events_case_id_id", "case_id", "id"),
        # Exactly once: a second SLA warning, breach or escalation with the same key cannot exist.
        Index("uq_case_events_case_id_sla_key", "case_id", "sla_key", unique=True),
        # Live pushes and their replay after a reconnect, per agency console.
        Index("ix_case_events_agency_id_id", "agency_id", "id"),
        Index("ix_case_events_left_agency_id_id", "left_agency_id", "id"),
        # The monthly report's re-routes, returns and extensions (migration 0017): a month's cases joined
        # to these events from the index alone, not a scan of the whole trail for three event types.
        Index(
            "ix_case_events_report_kinds",
            "case_id",
            "event_type",
            "agency_id",
            "left_agency_id",
            postgresql_where=text(REPORT_KINDS_WHERE),
            sqlite_where=text(REPORT_KINDS_WHERE),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    event_type: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sla_key: Mapped[str | None] = mapped_column(String(40))  # e.g. "1:report:breached"; NULL for other events
    # Who may see it, decided when it is written: the case's agency after the event, and on a
    # re-route (改分) the agency the case left, so that agency's console learns it is gone.
    # No foreign keys: ADD COLUMN only, so SQLite keeps the append-only triggers.
    agency_id: Mapped[int | None] = mapped_column(Integer)
    left_agency_id: Mapped[int | None] = mapped_column(Integer)

    # Not joined: the payload already names the actor; this is for the rare code that needs the row.
    actor: Mapped[User | None] = relationship()


class Notification(Base):
    """The outbox: a message to send, written in the same transaction as its cause."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"))
    channel: Mapped[str] = mapped_column(String(20))  # sms, voice (socket: console alerts before 0006)
    kind: Mapped[str] = mapped_column(String(30), default="message", server_default="message")
    recipient: Mapped[str] = mapped_column(String(80))
    recipient_name: Mapped[str | None] = mapped_column(String(80))  # who was on duty at that number, per the roster
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[NotificationStatus] = mapped_column(
        _enum(NotificationStatus, "notification_status"), default=NotificationStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_status: Mapped[str | None] = mapped_column(String(20))  # as the provider's callbacks last said
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when a sender took it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class _Versioned:
    """A rule kept in versions (SLA policies, alert ladders): never changed, a changed rule is a new version."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[UniqueConstraint]:
        return (UniqueConstraint("key", "version"),)  # a constraint object per table

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SlaPolicyVersion(_Versioned, Base):
    """One version of an SLA policy, kept forever so a case can always show the rules it got."""

    __tablename__ = "sla_policy_versions"


class AlertLadderVersion(_Versioned, Base):
    """One version of an alert ladder, kept forever so a case climbs the ladder it started with."""

    __tablename__ = "alert_ladder_versions"


class SlaPause(Base):
    """A stretch during which the case waited for the citizen and its SLA clock stood still."""

    __tablename__ = "sla_pauses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SmsOptOut(Base):
    """A number that replied STOP: no SMS is ever sent to it until it replies START."""

    __tablename__ = "sms_opt_outs"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Call(Base):
    """One call (or counter visit, or sign-language video call) an agent handled, and how it ended.

    A call in progress has no `outcome`. One case may have many calls; a consultation answered on
    the line has a call and no case.
    """

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_caller_phone_started_at", "caller_phone", "started_at"),
        Index("ix_calls_agent_id_started_at", "agent_id", "started_at"),
        Index("ix_calls_started_at", "started_at"),
        Index("ix_calls_started_at_outcome", "started_at", "outcome"),  # the monthly report, from the index
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    caller_phone: Mapped[str | None] = mapped_column(String(20))  # E.164; None: withheld or not a number
    caller_as_given: Mapped[str | None] = mapped_column(String(40))  # what was typed, when it was not a number
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[CallOutcome | None] = mapped_column(_enum(CallOutcome, "call_outcome", length=30))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # The knowledge-base article that answered it (published, checked by end_call).
    article_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("kb_articles.id"), index=True)
    answer_text: Mapped[str | None] = mapped_column(Text)  # a consultation answered without an article
    transferred_to: Mapped[str | None] = mapped_column(String(40))  # 110, 119, another line
    note: Mapped[str | None] = mapped_column(Text)

    agent: Mapped[User] = relationship()
    case: Mapped[Case | None] = relationship()


# The knowledge base's tables live in their own module (this one would pass 400 lines); same import path.
from app.models_admin import AdminChange as AdminChange  # noqa: E402
from app.models_admin import RosterOverride as RosterOverride  # noqa: E402
from app.models_admin import RosterShift as RosterShift  # noqa: E402
from app.models_calendar import CalendarOverride as CalendarOverride  # noqa: E402
from app.models_calendar import CalendarSourceMark as CalendarSourceMark  # noqa: E402
from app.models_calendar import OfficialCalendarYear as OfficialCalendarYear  # noqa: E402
from app.models_knowledge import Article as Article  # noqa: E402
from app.models_knowledge import ArticleRevision as ArticleRevision  # noqa: E402
from app.models_photos import CasePhoto as CasePhoto  # noqa: E402
from app.models_reports import ReportSnapshot as ReportSnapshot  # noqa: E402
from app.models_requests import CaseRequest as CaseRequest  # noqa: E402

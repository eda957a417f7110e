"""The words of the domain: case types, channels, statuses, roles. Pure Python."""

from __future__ import annotations

import enum


class CaseType(enum.StrEnum):
    CONSULTATION = "consultation"
    PETITION = "petition"
    DISPATCH = "dispatch"
    SUPERVISION = "supervision"
    OTHER = "other"


class Channel(enum.StrEnum):
    PHONE = "phone"
    COUNTER = "counter"
    WEB = "web"
    LETTER = "letter"
    FAX = "fax"
    APP = "app"
    SMS = "sms"
    LINE_VIDEO = "line_video"
    CHATBOT = "chatbot"
    OPEN311 = "open311"


class CaseStatus(enum.StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    WAITING_CITIZEN = "waiting_citizen"  # the SLA clock stands still until the citizen answers
    REPORTED = "reported"
    CLOSED = "closed"
    MERGED = "merged"
    CANCELLED = "cancelled"


class Role(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    AGENCY = "agency"
    MAYOR_OFFICE = "mayor_office"
    ADMIN = "admin"


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"  # will be tried again at next_attempt_at
    DEAD = "dead"  # will never be sent: a permanent failure, or out of attempts
    CANCELLED = "cancelled"  # no longer needed: the case was acknowledged before it went out


# Cases still being worked on: they count as open, may receive a merge, keep their deadlines.
OPEN_STATUSES = frozenset(
    {CaseStatus.NEW, CaseStatus.ASSIGNED, CaseStatus.ACKNOWLEDGED, CaseStatus.WAITING_CITIZEN, CaseStatus.REPORTED}
)
# Cases that left the work for good without an outcome of their own: no clock runs for them.
STOPPED_STATUSES = frozenset({CaseStatus.MERGED, CaseStatus.CANCELLED})


class EventType(enum.StrEnum):
    """Every kind of entry in a case's audit trail. Each has its words for people (`event.<value>`,
    zh-TW and English) for the consoles' timelines; a test keeps the two lists equal."""

    CASE_CREATED = "case_created"
    CASE_ASSIGNED = "case_assigned"
    ROUTING_FAILED = "routing_failed"
    CASE_ACKNOWLEDGED = "case_acknowledged"
    NOTE_ADDED = "note_added"
    CASE_REPORTED = "case_reported"
    CASE_CLOSED = "case_closed"
    CASE_REOPENED = "case_reopened"
    CASE_MERGED = "case_merged"
    CASE_MERGE_RECEIVED = "case_merge_received"
    CASE_CANCELLED = "case_cancelled"
    SLA_PAUSED = "sla_paused"  # waiting for the citizen: the clock stands still
    SLA_RESUMED = "sla_resumed"
    SLA_RECOMPUTED = "sla_recomputed"  # a calendar change moved the deadlines
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    SLA_ESCALATED = "sla_escalated"
    ALERT_SKIPPED = "alert_skipped"  # a duty phone that cannot take an SMS, or replied STOP
    ALERT_DEAD = "alert_dead"  # an alert that will never arrive: call the agency by hand
    ALERT_ESCALATED = "alert_escalated"  # a step of the ladder: nobody acknowledged in time


class Room:
    """Socket.IO rooms, spelled in one place: the server joins a user to those of their role."""

    AGENTS = "agents"
    SUPERVISORS = "supervisors"
    MAYOR_OFFICE = "mayor_office"  # the live counters only

    @staticmethod
    def agency(code: str) -> str:
        return f"agency:{code}"

    @staticmethod
    def user(user_id: int) -> str:
        return f"user:{user_id}"

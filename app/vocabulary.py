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


class EventType(enum.StrEnum):
    """Every kind of entry in a case's audit trail; the console shows each by its `event.<type>` words."""

    CASE_CREATED = "case_created"
    CASE_ASSIGNED = "case_assigned"
    CASE_ACKNOWLEDGED = "case_acknowledged"
    NOTE_ADDED = "note_added"
    CASE_REPORTED = "case_reported"
    CASE_CLOSED = "case_closed"
    CASE_REOPENED = "case_reopened"
    CASE_MERGED = "case_merged"
    CASE_MERGE_RECEIVED = "case_merge_received"
    CASE_CANCELLED = "case_cancelled"
    ROUTING_FAILED = "routing_failed"
    SLA_PAUSED = "sla_paused"
    SLA_RESUMED = "sla_resumed"
    SLA_RECOMPUTED = "sla_recomputed"
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    SLA_ESCALATED = "sla_escalated"
    ALERT_SKIPPED = "alert_skipped"
    ALERT_DEAD = "alert_dead"
    ALERT_ESCALATED = "alert_escalated"

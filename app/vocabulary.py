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

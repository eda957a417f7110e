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


class CallOutcome(enum.StrEnum):
    """How a call ended: the monthly statistics count calls by these (立即回覆率 is consultations answered)."""

    CONSULTATION_ANSWERED = "consultation_answered"  # from a knowledge-base article or a free-text answer
    CASE_OPENED = "case_opened"
    ADDED_TO_CASE = "added_to_case"  # 併案 / 追加反映: another report of a case already open
    PROGRESS_INQUIRY = "progress_inquiry"  # about an existing case
    TRANSFERRED = "transferred"  # to 110, 119 or another line
    HUNG_UP = "hung_up"
    WRONG_NUMBER = "wrong_number"
    ABUSIVE = "abusive"


# The outcomes that name a case, and the one that needs an answer.
CASE_OUTCOMES = frozenset({CallOutcome.CASE_OPENED, CallOutcome.ADDED_TO_CASE, CallOutcome.PROGRESS_INQUIRY})


class ReportOutcome(enum.StrEnum):
    """What the agency says it did when it reports back (回報處理情形), besides its words and photos."""

    DONE = "done"  # 已處理完成
    SCHEDULED = "scheduled"  # crew sent and the work scheduled (已派員排程處理)
    NOT_OURS = "not_ours"  # not this agency's matter
    NEEDS_OTHER_AGENCY = "needs_other_agency"  # another agency must act too (需他機關協處)
    CANNOT_FIND = "cannot_find"  # nothing found at the place (現場查無)
    OTHER = "other"


class PhotoSource(enum.StrEnum):
    """Who took a case's photo: the agency as proof of its work, or the citizen who reported it (later channels)."""

    AGENCY_REPORT = "agency_report"
    REPORTER = "reporter"


class ArticleState(enum.StrEnum):
    """A knowledge-base article: proposed as a draft (an agent), published (a supervisor), archived."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ArticleAction(enum.StrEnum):
    """What a revision of an article records (`kb_article_revisions.action`)."""

    PROPOSED = "proposed"  # written, as a draft
    EDITED = "edited"
    PUBLISHED = "published"
    ARCHIVED = "archived"
    REVIEW_SET = "review_set"  # a supervisor set the date by which it must be checked again
    LOADED = "loaded"  # from a file, by `flask knowledge load`


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


class NotificationChannel(enum.StrEnum):
    """How an outbox row leaves the building (the consoles' alerts are not outbox rows: the live feed raises them)."""

    SMS = "sms"
    VOICE = "voice"


class NotificationKind(enum.StrEnum):
    """Why an outbox row was written; the sender treats ladder calls and dispatch SMS specially."""

    DISPATCH_SMS = "dispatch_sms"  # to the agency's duty phones, the moment a case is dispatched
    DUTY_CALL = "duty_call"  # the ladder's first rung: nobody acknowledged
    SUPERVISOR_CALL = "supervisor_call"  # the ladder's next rungs
    SLA_ESCALATION_SMS = "sla_escalation_sms"  # to the agency's supervisors, past a deadline
    CITIZEN_RECEIPT = "citizen_receipt"  # the reporter's case number
    CITIZEN_OUTCOME = "citizen_outcome"  # the reporter's answer, when the centre accepts the agency's report (結案)


LADDER_KINDS = frozenset({NotificationKind.DUTY_CALL, NotificationKind.SUPERVISOR_CALL})


class AlertKind(enum.StrEnum):
    """The consoles' urgent alerts, raised by the live feed from events (docs/realtime.md)."""

    DISPATCH_ALERT = "dispatch_alert"
    SUPERVISORS_ALERT = "supervisors_alert"
    SLA_ESCALATION_ALERT = "sla_escalation_alert"
    DEAD_ALERT = "dead_alert"


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
    REPORT_ADDED = "report_added"  # 追加反映: another caller reported the same matter; the reporter is kept
    SLA_PAUSED = "sla_paused"  # waiting for the citizen: the clock stands still
    SLA_RESUMED = "sla_resumed"
    SLA_RECOMPUTED = "sla_recomputed"  # a calendar change moved the deadlines
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    SLA_ESCALATED = "sla_escalated"
    ALERT_SKIPPED = "alert_skipped"  # a duty phone that cannot take an SMS, or replied STOP
    ALERT_DEAD = "alert_dead"  # an alert that will never arrive: call the agency by hand
    ALERT_ESCALATED = "alert_escalated"  # a step of the ladder: nobody acknowledged in time
    AGENCY_CALLED = "agency_called"  # a supervisor phoned the agency by hand after a dead alert
    CASE_RETURNED = "case_returned"  # 退回: closure review refused the agency's report; a new round begins
    JURISDICTION_REQUESTED = "jurisdiction_requested"  # 申請改分: the agency says the case is another's
    JURISDICTION_APPROVED = "jurisdiction_approved"  # followed by case_assigned to the agency named
    JURISDICTION_REFUSED = "jurisdiction_refused"
    EXTENSION_REQUESTED = "extension_requested"  # 申請展延: the agency asks for a later report deadline
    EXTENSION_APPROVED = "extension_approved"  # the report deadline moves on the case's own clock
    EXTENSION_REFUSED = "extension_refused"


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


class RequestKind(enum.StrEnum):
    """What an agency asks the centre about a case it was given."""

    JURISDICTION = "jurisdiction"  # 申請改分: not ours, another agency's
    EXTENSION = "extension"  # 申請展延: a later report deadline


class RequestState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"

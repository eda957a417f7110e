"""The console's words, in zh-TW and English; messages (errors, notices) stay in app/i18n.py.

They are the "console" gettext domain (app/translations/<locale>/LC_MESSAGES/console.po): the keys are the
message ids, placeholders are str.format fields (the page script fills {case_no} and the like).
"""

from __future__ import annotations

from typing import Any

from app.i18n import catalogue, select_locale, translate


def L_(key: str) -> str:
    """Mark a console key written where no label() call shows it, so extraction finds it."""
    return key


# Keys the template and the page script build at run time ("col." ~ column, tBuilt(`event.${type}`)), listed here
# so that extraction keeps them in the catalogue.
BUILT_KEYS = (
    # The login form's fields
    L_("login.username"),
    L_("login.password"),
    # Roles
    L_("role.agent"),
    L_("role.supervisor"),
    L_("role.agency"),
    L_("role.mayor_office"),
    L_("role.admin"),
    # The connection's states, in the status line and in the empty event log
    L_("status.connecting"),
    L_("status.connected"),
    L_("status.reconnecting"),
    L_("status.offline"),
    L_("events.none.connecting"),
    L_("events.none.connected"),
    L_("events.none.offline"),
    L_("events.none.refused"),
    # Counter and case-list columns
    L_("counters.open"),
    L_("counters.at_risk"),
    L_("counters.breached"),
    L_("counters.unacknowledged"),
    L_("col.case_no"),
    L_("col.agency"),
    L_("col.category"),
    L_("col.district"),
    L_("col.address"),
    L_("col.assigned_at"),
    L_("col.ack_due_at"),
    L_("col.reporter_phone"),
    L_("col.action"),
    # Flags on a waiting case
    L_("flag.urgent"),
    L_("flag.overdue"),
    L_("flag.at_risk"),
    # Case statuses
    L_("case_status.new"),
    L_("case_status.assigned"),
    L_("case_status.acknowledged"),
    L_("case_status.waiting_citizen"),
    L_("case_status.reported"),
    L_("case_status.closed"),
    L_("case_status.merged"),
    L_("case_status.cancelled"),
    # TRANSLATORS: each kind of alert has a short title, then its sentence; {place} is the district and address.
    L_("alert.dispatch_alert"),
    L_("alert.dispatch_alert.text"),
    L_("alert.supervisors_alert"),
    L_("alert.supervisors_alert.text"),
    L_("alert.outstanding"),
    L_("alert.outstanding.text"),
    # TRANSLATORS: {target} in alert.sla_escalation_alert.text: what was to be done by the deadline.
    L_("alert.target.ack"),
    L_("alert.target.report"),
    # The event log's entry for each event type (app.vocabulary.EventType)
    L_("event.case_created"),
    L_("event.case_assigned"),
    L_("event.case_acknowledged"),
    L_("event.note_added"),
    L_("event.case_reported"),
    L_("event.case_closed"),
    L_("event.case_reopened"),
    L_("event.case_merged"),
    L_("event.case_merge_received"),
    L_("event.case_cancelled"),
    L_("event.report_added"),
    L_("event.routing_failed"),
    L_("event.sla_paused"),
    L_("event.sla_resumed"),
    L_("event.sla_recomputed"),
    L_("event.sla_warning"),
    L_("event.sla_breached"),
    L_("event.sla_escalated"),
    L_("event.alert_skipped"),
    L_("event.alert_dead"),
    L_("event.alert_escalated"),
    L_("event.agency_called"),
    L_("event.case_returned"),
    L_("event.jurisdiction_requested"),
    L_("event.jurisdiction_approved"),
    L_("event.jurisdiction_refused"),
    L_("event.extension_requested"),
    L_("event.extension_approved"),
    L_("event.extension_refused"),
    # The live page's alert stack: its count, said and shown by the page script
    L_("alerts.count"),
)


def label(key: str, /, **params: Any) -> str:
    """The console word for a key in the request's language; an unknown key shows itself."""
    text = translate("console", key)
    return text.format(**params) if params else text


def labels_for_script() -> dict[str, str]:
    """Every label in the request's language, with placeholders left in, for the page script."""
    return dict(catalogue("console", select_locale()))

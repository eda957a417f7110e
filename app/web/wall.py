"""The supervisors' wall (督導): short live lists by urgency; the page script re-reads them after events."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from flask import g, render_template, request
from flask.typing import ResponseReturnValue

from app.cases.deadlines import load_context, open_pauses, sla_status
from app.cases.wall import EXPANDED_LIMIT, Wall, wall_lists
from app.db import current_session, utcnow
from app.i18n import is_english
from app.present.times import roc_datetime
from app.realtime.connections import resume_point
from app.reference.cache import reference_cache
from app.settings_access import current_settings
from app.vocabulary import Role
from app.web import nav
from app.web.guards import roles_required
from app.web.intake_shapes import page_data, time_left_words
from app.web.labels import L_
from app.web.pagekit import page_blueprint
from app.web.wall_queues import queue_context
from app.web.wall_review import review_list
from sla.policy import ClockKind

bp = page_blueprint("wall", __name__)
WALL_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
nav.register(nav.Page("wall.page", L_("nav.wall"), WALL_ROLES, "W", order=45))

# Built in the template ("wall.list." ~ name, "wall.col." ~ column, "wall.kind." ~ kind): listed for extraction.
BUILT_KEYS = (
    L_("wall.list.about_to_breach"),
    L_("wall.list.breached"),
    L_("wall.list.breached_earlier"),
    L_("wall.list.unacknowledged"),
    L_("wall.list.dead_alerts"),
    L_("wall.col.case_no"),
    L_("wall.col.agency"),
    L_("wall.col.category"),
    L_("wall.col.due_at"),
    L_("wall.col.time_left"),
    L_("wall.col.breached_by"),
    L_("wall.col.breached_at"),
    L_("wall.col.count"),
    L_("wall.col.oldest"),
    L_("wall.col.kind"),
    L_("wall.col.recipient"),
    L_("wall.col.created_at"),
    L_("wall.kind.dispatch_sms"),
    L_("wall.kind.duty_call"),
    L_("wall.kind.supervisor_call"),
    L_("wall.kind.sla_escalation_sms"),
    L_("wall.list.triage"),
    L_("wall.list.requests"),
    L_("wall.col.received"),
    L_("wall.col.assign"),
    L_("wall.col.request"),
    L_("wall.col.reason"),
    L_("wall.col.decide"),
    L_("wall.col.called"),
)
WALL_LISTS = frozenset(field.name for field in fields(Wall))


@bp.route("/console/wall")
@roles_required(WALL_ROLES)
def page() -> ResponseReturnValue:
    return render_template("web/wall.html", **_wall(request.args.get("more")), page_data=page_data_for_wall())


@bp.route("/console/wall/lists")
@roles_required(WALL_ROLES)
def lists() -> ResponseReturnValue:
    """The lists alone, for the page script to swap in after an event and every 30 s (time left moves)."""
    return render_template("web/wall/_lists.html", **_wall(request.args.get("more")))


def page_data_for_wall() -> dict[str, Any]:
    return page_data(g.actor, last_event_id=resume_point())


def _wall(more: str | None = None) -> dict[str, Any]:
    session, now, tz = current_session(), utcnow(), current_settings().timezone
    english = is_english()
    snapshot = reference_cache.snapshot(session)
    names = {row.id: (row.name_en if english else row.name_zh) for row in snapshot.agencies.values()}
    context = load_context(session)
    # One list at length after its "and N more" link: the others stay short.
    wall = wall_lists(session=session, expand=more if more in WALL_LISTS else None)

    # The open pauses of every case listed, read once rather than a query per waiting case.
    paused = open_pauses(
        session, [*wall.about_to_breach.rows, *wall.breached.rows, *(row.case for row in wall.breached_earlier.rows)]
    )

    def line(case: Any) -> dict[str, Any]:
        status = sla_status(session, case, context, now, paused=paused)
        seconds = None if status is None or status.time_left is None else int(status.time_left.total_seconds())
        return {
            "case_no": case.case_no,
            "agency": names.get(case.agency_id, "") if case.agency_id else "",
            "category": case.category.name_en if english else case.category.name_zh,
            "status": case.status.value,
            "stage": case.sla_stage,
            "due_at": roc_datetime(case.sla_due_at, tz) if case.sla_due_at else "",
            "time_left": time_left_words(seconds, working=status is not None and status.clock is ClockKind.WORKING)
            or "—",
        }

    return {
        **queue_context(session, names, english, tz, EXPANDED_LIMIT if more in ("triage", "requests") else None),
        "more": more,
        "about_to_breach": [line(case) for case in wall.about_to_breach.rows],
        "about_to_breach_total": wall.about_to_breach.total,
        "breached": [line(case) for case in wall.breached.rows],
        "breached_total": wall.breached.total,
        "breached_earlier": [
            {
                **line(row.case),
                "breached_by": names.get(row.breached_by_id or -1, ""),
                "breached_at": roc_datetime(row.breached_at, tz),
            }
            for row in wall.breached_earlier.rows
        ],
        "breached_earlier_total": wall.breached_earlier.total,
        "unacknowledged": [
            {
                "agency": names.get(row.agency_id or -1, ""),
                "count": row.count,
                "oldest": roc_datetime(row.oldest_assigned_at, tz) if row.oldest_assigned_at else "",
            }
            for row in wall.unacknowledged.rows
        ],
        "unacknowledged_total": wall.unacknowledged.total,
        "dead_alerts": [
            {
                "id": alert.notification.id,
                "case_no": alert.case_no,
                "kind": alert.notification.kind,
                "recipient": alert.notification.recipient,
                "created_at": roc_datetime(alert.notification.created_at, tz),
                "error": alert.notification.last_error or "",
            }
            for alert in wall.dead_alerts.rows
        ],
        "dead_alerts_total": wall.dead_alerts.total,
        **review_list(
            session,
            agency_names=names,
            english=english,
            tz=tz,
            now=now,
            limit=EXPANDED_LIMIT if more == "awaiting_review" else None,
        ),
    }

"""My work: the agent's calls and cases of today; the page script keeps the cases' states live."""

from __future__ import annotations

from flask import g, render_template
from flask.typing import ResponseReturnValue

from app.access import Actor
from app.calls.workday import agent_day
from app.db import current_session, utcnow
from app.present.audience import view_of
from app.present.call import call_view
from app.present.times import roc_date
from app.realtime.connections import resume_point
from app.settings_access import current_settings
from app.web import nav
from app.web.guards import roles_required
from app.web.intake_shapes import case_lines, page_data
from app.web.labels import L_
from app.web.pagekit import page_blueprint

bp = page_blueprint("my_work", __name__)
nav.register(nav.Page("my_work.page", L_("nav.my_work"), nav.STAFF, "M", order=20))


@bp.route("/console/my-work")
@roles_required(nav.STAFF)
def page() -> ResponseReturnValue:
    """Today's calls (newest first) and the cases they opened or touched, with their state and time left."""
    actor: Actor = g.actor
    session, tz, now = current_session(), current_settings().timezone, utcnow()
    day = agent_day(session=session, actor=actor, now=now, tz=tz)
    return render_template(
        "web/my_work.html",
        today=roc_date(now, tz),
        calls=[call_view(call, view_of(actor), tz) for call in day.calls],
        cases=case_lines(session, actor, day.cases, now),
        page_data=page_data(actor, last_event_id=resume_point()),
    )

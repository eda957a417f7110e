"""The live counters over HTTP: the same numbers the supervisors' wall receives by socket."""

from __future__ import annotations

from typing import Any

from flask import current_app

from app.api.auth import authenticate, current_actor, require_json_body
from app.api.docs import documents_errors
from app.api.inputs import ApiBlueprint
from app.api.schemas import LiveStatsSchema
from app.cases.counters import count_open_cases, counters_for
from app.db import current_session, utcnow
from app.reference.names import ReferenceNames

blp = ApiBlueprint("stats", __name__, description="Live statistics")
blp.before_request(authenticate)
blp.before_request(require_json_body)


@blp.route("/stats/live")
@blp.response(200, LiveStatsSchema)
@documents_errors(blp)
def live_stats() -> dict[str, Any]:
    """Open, at-risk, breached and unacknowledged cases per agency, right now; an agency sees its own row."""
    session = current_session()
    names = ReferenceNames.load(session)
    actor = current_actor()
    tz = current_app.config["HOTLINE_SETTINGS"].timezone
    as_of = utcnow().astimezone(tz).isoformat()
    return counters_for(actor, names.agency_code(actor.agency_id), count_open_cases(session, names), as_of)

"""The agency's board (機關承辦人): its open cases by section with the time left; the page script keeps it live."""

from __future__ import annotations

from typing import Any

from flask import abort, g, render_template, request
from flask.typing import ResponseReturnValue

from app.access import Actor
from app.cases.board import SECTIONS, agency_board
from app.cases.wall_queues import pending_by_case
from app.db import current_session, utcnow
from app.i18n import is_english
from app.realtime.connections import resume_point
from app.reference.cache import reference_cache
from app.vocabulary import Role
from app.web import nav
from app.web.guards import roles_required
from app.web.intake_shapes import case_lines, page_data
from app.web.labels import L_
from app.web.pagekit import page_blueprint
from app.web.roster_lines import on_duty_lines

bp = page_blueprint("board", __name__)
BOARD_ROLES = frozenset({Role.AGENCY, Role.SUPERVISOR, Role.ADMIN})
nav.register(nav.Page("board.page", L_("nav.board"), BOARD_ROLES, "B", order=5))

# Built in the template ("board.section." ~ name, "board.col." ~ column): listed so extraction keeps them.
BUILT_KEYS = (
    L_("board.section.awaiting"),
    L_("board.section.in_progress"),
    L_("board.section.waiting_citizen"),
    L_("board.section.returned"),
    L_("board.col.case_no"),
    L_("board.col.category"),
    L_("board.col.place"),
    L_("board.col.received"),
    L_("board.col.time_left"),
    L_("board.request_pending.jurisdiction"),
    L_("board.request_pending.extension"),
)


@bp.route("/console/board")
@roles_required(BOARD_ROLES)
def page() -> ResponseReturnValue:
    """The whole board; staff choose the agency with ?agency=CODE."""
    return render_template("web/board.html", **_board(g.actor), page=True)


@bp.route("/console/board/rows")
@roles_required(BOARD_ROLES)
def rows() -> ResponseReturnValue:
    """The sections alone, for the page script to re-read after an event and every 30 s (time left moves)."""
    return render_template("web/board/_sections.html", **_board(g.actor))


def _board(actor: Actor) -> dict[str, Any]:
    session = current_session()
    snapshot = reference_cache.snapshot(session)
    if actor.is_agency:
        agency = next((row for row in snapshot.agencies.values() if row.id == actor.agency_id), None)
    else:
        code = request.args.get("agency", "").strip()
        agency = snapshot.agencies.get(code) if code else None
        if code and agency is None:
            abort(404)
    english = is_english()
    choices = sorted(
        ((row.code, row.name_en if english else row.name_zh) for row in snapshot.agencies.values() if row.active),
        key=lambda pair: pair[0],
    )
    context: dict[str, Any] = {
        "agency": None,
        "sections": {},
        "pending_requests": {},
        "section_names": SECTIONS,
        "agency_choices": choices,
        "urgent_codes": {code for code, row in snapshot.categories.items() if row.urgent},
    }
    if agency is not None:
        now = utcnow()
        board = agency_board(session=session, actor=actor, agency_id=agency.id)
        context.update(
            agency=agency,
            agency_name=agency.name_en if english else agency.name_zh,
            sections={name: case_lines(session, actor, cases, now) for name, cases in board.sections.items()},
            pending_requests=pending_by_case(
                session=session, cases=[case for cases in board.sections.values() for case in cases]
            ),
            truncated=board.truncated,
            on_duty=on_duty_lines(session, agency, now),
        )
    context["page_data"] = page_data(
        actor,
        last_event_id=resume_point(),
        agency=agency.code if agency else None,
        can_acknowledge=True,  # every role on this page may acknowledge (lifecycle: agency and centre)
    )
    return context

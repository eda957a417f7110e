"""`python -m bench.board [--cases 200] [--other 800] [--runs 50]`: the agency's board and the wall, measured.

Server only, on SQLite: `--cases` open dispatches for one agency and `--other` for others, opened through
the real intake service; then the board's sections fragment (`/console/board/rows`, what the page re-reads
after each event and every 30 s) and the wall's lists fragment are rendered `--runs` times each, p50/p99.
First paint and live-update times in a browser are not measured here yet.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import g

from app.access import Actor
from app.cases.intake import NewCase, open_case
from app.db import db
from app.vocabulary import Channel, Role
from bench.database import app_context, create_agent, make_database
from bench.measure import latency_ms, machine

TZ = ZoneInfo("Asia/Taipei")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--other", type=int, default=800)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    database = make_database("sqlite", Path(tempfile.mkdtemp(prefix="bench-board-")))
    agent_id, _ = create_agent(database)
    with app_context(database) as app:
        agent = Actor(user_id=agent_id, username="bench-agent", role=Role.AGENT)
        for number in range(args.cases + args.other):
            ours = number < args.cases
            open_case(
                session=db.session,
                actor=agent,
                new_case=NewCase(
                    channel=Channel.PHONE,
                    category_code="fallen_tree" if ours else "noise",
                    district_code="fongshan",
                    address=f"鳳山區光復路二段{number}號",
                    description="bench",
                ),
                tz=TZ,
            )
        from app.models import Agency

        agency = db.session.query(Agency).filter_by(code="PWD-MAINT").one()
        responder = Actor(user_id=None, username="bench-responder", role=Role.AGENCY, agency_id=agency.id)
        supervisor = Actor(user_id=None, username="bench-supervisor", role=Role.SUPERVISOR)
        figures = {}
        for name, actor, endpoint in (
            ("board_rows", responder, "board.rows"),
            ("wall_lists", supervisor, "wall.lists"),
        ):
            view = app.view_functions[endpoint].__wrapped__.__wrapped__  # past the login and role checks
            samples = []
            for _ in range(args.runs):
                with app.test_request_context("/console/board/rows?lang=zh-TW"):
                    g.actor = actor
                    started = time.perf_counter()
                    view()
                    samples.append(time.perf_counter() - started)
            figures[name] = latency_ms(samples)
    report = {"cases_for_agency": args.cases, "other_open": args.other, **figures, "machine": machine()}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

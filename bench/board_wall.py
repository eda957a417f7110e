"""`python -m bench.board_wall [--db sqlite|postgresql] [--per-agency 200] [--agencies 25] [--runs 40]`.

The agency's board and the supervisors' wall at city scale: `--agencies` × `--per-agency` open dispatches
(5,000 by default, 200 for each agency), opened through the real intake service and then spread over the
agencies by one UPDATE (the seeded routing rules would send them to a few); 50 pending requests and 20 cases
in triage for the wall's queues. Measured, p50/p99:

- first paint, server side: the whole page rendered (`board.page`, `wall.page`), what the browser waits for;
- first paint in Chromium: navigation to first-contentful-paint (`performance` paint entries), over HTTP;
- live update: the fragment the page script re-reads after each event and every 30 s
  (`/console/board/rows`, `/console/wall/lists`);
- a bulk merge of 200 cases on one road into one parent (app.cases.bulk, one transaction per case).

Writes bench/results/board_wall.json. The machine is shared: figures are "under load".
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g
from sqlalchemy import select, update

from app.access import Actor
from app.cases import bulk, requests
from app.cases.intake import NewCase, open_case
from app.db import db
from app.models import Agency, Case
from app.users.service import create_user
from app.vocabulary import CaseStatus, Channel, Role
from bench.database import app_context, create_agent, make_database
from bench.measure import latency_ms, machine

TZ = ZoneInfo("Asia/Taipei")
RESULTS = Path(__file__).resolve().parent / "results" / "board_wall.json"
PASSWORD = "bench-password-1234"


def _open(agent: Actor, number: int, address: str) -> Case:
    return open_case(
        session=db.session,
        actor=agent,
        new_case=NewCase(
            channel=Channel.PHONE,
            category_code="fallen_tree",
            district_code="fongshan",
            address=address,
            description="bench",
        ),
        tz=TZ,
    )


def _seed(agent: Actor, agencies: list[Agency], per_agency: int) -> None:
    total = per_agency * len(agencies)
    for number in range(total):
        _open(agent, number, f"鳳山區光復路二段{number}號")
    ids = db.session.scalars(select(Case.id).order_by(Case.id)).all()
    for index, agency in enumerate(agencies):
        chunk = ids[index * per_agency : (index + 1) * per_agency]
        db.session.execute(update(Case).where(Case.id.in_(chunk)).values(agency_id=agency.id))
    # Twenty in triage (as a failed routing leaves them), for the wall's first queue.
    db.session.execute(update(Case).where(Case.id.in_(ids[-20:])).values(status=CaseStatus.NEW, agency_id=None))
    db.session.commit()


def _requests(agencies: list[Agency]) -> None:
    """Fifty pending jurisdiction requests from the first agency, for the wall's second queue."""
    first = agencies[0]
    responder = create_user(session=db.session, username="bench-asker", role=Role.AGENCY, agency_code=first.code)
    actor = Actor(user_id=responder.user.id, username="bench-asker", role=Role.AGENCY, agency_id=first.id)
    case_nos = db.session.scalars(
        select(Case.case_no).where(Case.agency_id == first.id, Case.status == CaseStatus.ASSIGNED).limit(50)
    ).all()
    for case_no in case_nos:
        requests.request_jurisdiction(
            session=db.session, actor=actor, case_no=case_no, to_agency=agencies[1].code, reason="bench"
        )


def _server_side(app: Flask, runs: int, responder: Actor, supervisor: Actor, agency_code: str) -> dict[str, Any]:
    figures = {}
    for name, actor, endpoint, path in (
        ("board_page", responder, "board.page", "/console/board?lang=zh-TW"),
        ("board_rows", responder, "board.rows", "/console/board/rows?lang=zh-TW"),
        ("board_page_staff", supervisor, "board.page", f"/console/board?agency={agency_code}&lang=zh-TW"),
        ("wall_page", supervisor, "wall.page", "/console/wall?lang=zh-TW"),
        ("wall_lists", supervisor, "wall.lists", "/console/wall/lists?lang=zh-TW"),
    ):
        view = app.view_functions[endpoint].__wrapped__.__wrapped__  # past the login and role checks
        samples = []
        for _ in range(runs):
            with app.test_request_context(path):
                g.actor = actor
                started = time.perf_counter()
                view()
                samples.append(time.perf_counter() - started)
            db.session.rollback()
        figures[name] = latency_ms(samples)
    return figures


def _profile(app: Flask, responder: Actor) -> None:
    import cProfile
    import pstats

    view = app.view_functions["board.rows"].__wrapped__.__wrapped__
    with app.test_request_context("/console/board/rows?lang=zh-TW"):
        g.actor = responder
        view()  # warm
        profiler = cProfile.Profile()
        profiler.enable()
        view()
        profiler.disable()
    db.session.rollback()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def _browser(app: Flask, runs: int, logins: dict[str, str]) -> dict[str, Any]:
    """First contentful paint of the board (as its agency) and the wall (as a supervisor), in Chromium."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    figures: dict[str, Any] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            for name, username, path in (
                ("board", logins["agency"], "/console/board"),
                ("wall", logins["supervisor"], "/console/wall"),
            ):
                context = browser.new_context(viewport={"width": 1920, "height": 1080})
                page = context.new_page()
                page.goto(f"{base}/login")
                page.fill("input[name=username]", username)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(f"**{'/console/board' if name == 'board' else '/console/**'}")
                paints, loads = [], []
                for _ in range(runs):
                    page.goto(f"{base}{path}?lang=zh-TW", wait_until="load")
                    entry = page.evaluate(
                        "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null"
                    )
                    if entry is not None:
                        paints.append(entry / 1000)
                    loads.append(page.evaluate("() => performance.getEntriesByType('navigation')[0].duration") / 1000)
                figures[f"{name}_first_contentful_paint"] = latency_ms(paints)
                figures[f"{name}_navigation_load"] = latency_ms(loads)
                context.close()
            browser.close()
    finally:
        server.shutdown()
    return figures


def _bulk_merge(agent: Actor, supervisor: Actor, count: int) -> dict[str, Any]:
    cases = [_open(agent, n, f"鳳山區中山東路{n}號") for n in range(1, count + 1)]
    seen = [bulk.Seen(case.case_no, case.version) for case in cases]
    started = time.perf_counter()
    outcomes = bulk.bulk_merge(
        session=db.session, actor=supervisor, parent_case_no=cases[0].case_no, cases=seen, reason="bench"
    )
    seconds = time.perf_counter() - started
    return {
        "cases": count,
        "merged": sum(1 for outcome in outcomes if outcome.done),
        "refused": sum(1 for outcome in outcomes if not outcome.done),
        "seconds": round(seconds, 2),
        "per_case_ms": round(seconds / max(1, len(outcomes)) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/hotline_bench_wall")
    parser.add_argument("--per-agency", type=int, default=200)
    parser.add_argument("--agencies", type=int, default=25)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--browser-runs", type=int, default=15)
    parser.add_argument("--bulk", type=int, default=200)
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the figures go (a trial run: elsewhere)")
    parser.add_argument("--profile", action="store_true", help="cProfile one board re-read, top 25 by cumulative")
    args = parser.parse_args()
    database = make_database(args.db, Path(tempfile.mkdtemp(prefix="bench-board-wall-")), pg_url=args.pg_url)
    agent_id, _ = create_agent(database)
    with app_context(database) as app:
        agent = Actor(user_id=agent_id, username="bench-agent", role=Role.AGENT)
        agencies = db.session.scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.id)).all()
        agencies = list(agencies[: args.agencies])
        started = time.perf_counter()
        _seed(agent, agencies, args.per_agency)
        _requests(agencies)
        seeded = time.perf_counter() - started
        first = agencies[0]
        responder_user = create_user(
            session=db.session, username="bench-responder", role=Role.AGENCY, agency_code=first.code, password=PASSWORD
        )
        supervisor_user = create_user(
            session=db.session, username="bench-supervisor", role=Role.SUPERVISOR, password=PASSWORD
        )
        responder = Actor(
            user_id=responder_user.user.id, username="bench-responder", role=Role.AGENCY, agency_id=first.id
        )
        supervisor = Actor(user_id=supervisor_user.user.id, username="bench-supervisor", role=Role.SUPERVISOR)
        if args.profile:
            _profile(app, responder)
        figures = _server_side(app, args.runs, responder, supervisor, first.code)
        if args.browser_runs:
            figures.update(
                _browser(app, args.browser_runs, {"agency": "bench-responder", "supervisor": "bench-supervisor"})
            )
        figures["bulk_merge"] = _bulk_merge(agent, supervisor, args.bulk)
        open_total = db.session.query(Case).filter(Case.status.in_([CaseStatus.ASSIGNED, CaseStatus.NEW])).count()
    report = {
        "database": args.db,
        "under_load": "the machine is shared by several people (2 cores); figures under load",
        "open_per_agency": args.per_agency,
        "agencies": len(agencies),
        "open_total_before_bulk": args.per_agency * len(agencies),
        "open_total_after_bulk": open_total,
        "pending_requests": 50,
        "seed_seconds": round(seeded, 1),
        **figures,
        "machine": machine(),
    }
    text = json.dumps(report, indent=1, ensure_ascii=False)
    print(text)
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    results[args.db] = report
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

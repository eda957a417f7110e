"""The deployment under failure: `python -m bench.deploy [--consoles 52 --rate 10]`.

The scenario of tests/deploy (config/deploy's nginx with TLS on a non-443 port, two web processes and two
workers started from the shipped units, consoles through nginx, cases recorded throughout, kill -9 of the
web process carrying most consoles and of the sweeping worker, the web process restarted), with more
consoles, on a fresh PostgreSQL database: deliveries missing/duplicated, reconnect and takeover times,
consoles per process before the kill, after it and once spread again after the restart, peak connections.
Writes bench/results/deploy.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import make_url

from app.access import Actor
from app.cases.intake import NewCase, open_case
from app.db import db, utcnow
from app.users.service import create_user
from app.vocabulary import Channel, Role
from bench.database import app_context, make_database
from bench.measure import machine
from bench.report import RESULTS_DIR
from tests.deploy import scenario
from tests.deploy.stack import Stack

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/hotline_bench_deploy_stack")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
TZ = ZoneInfo("Asia/Taipei")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--consoles", type=int, default=52, help="each from its own address")
    parser.add_argument("--polling", type=int, default=0, help="of which long-polling (the rest WebSocket)")
    parser.add_argument("--rate", type=float, default=10.0, help="cases recorded per second through nginx")
    options = parser.parse_args()
    load_before = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="bench-deploy-"))
    database = make_database("postgresql", workdir / "db", PG_URL)
    with app_context(database):
        supervisor = create_user(session=db.session, username="bench-supervisor", role=Role.SUPERVISOR)
        agent = create_user(session=db.session, username="bench-agent", role=Role.AGENT)
        actor = Actor(user_id=agent.user.id, username="bench-agent", role=Role.AGENT, agency_id=None)

    def late_case() -> str:
        with app_context(database):
            new_case = NewCase(
                channel=Channel.PHONE,
                category_code="fallen_tree",
                district_code="fongshan",
                address="鳳山區光復路二段132號",
                description="二十分鐘前倒的樹",
            )
            case = open_case(
                session=db.session, actor=actor, new_case=new_case, tz=TZ, now=utcnow() - timedelta(minutes=20)
            )
            return str(case.case_no)

    url = make_url(database.url).set(drivername="postgresql").render_as_string(hide_password=False)
    stack = Stack(directory=workdir, database_url=url, redis_url=REDIS_URL, threads=200, max_conns=180)
    try:
        stack.start_web(1, 2)
        stack.start_worker(1, 2)
        stack.start_nginx()
        figures = scenario.run(
            stack,
            supervisor_token=supervisor.token,
            agent_token=agent.token,
            late_case=late_case,
            polling_consoles=options.polling,
            websocket_consoles=options.consoles - options.polling,
            rate=options.rate,
        )
    finally:
        stack.stop()
    result = {
        "benchmark": "deploy",
        "options": vars(options),
        "machine": machine(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "figures": figures,
        "note": "every console from its own address of one /24: long-polling 127.0.0.100+, websocket 127.0.0.150+; "
        "'consoles per process' as each web process published it (app/realtime/balance.py)",
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "deploy.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), "utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

"""`python -m bench.intake_console`: the agent's intake console, measured.

Server: duplicate lookup (app.cases.duplicates.find_duplicates) p50/p99 over N generated cases
(bench/datagen.py, loaded by bench/bulk.py), for addresses written another way and for a caller's own
cases. Browser: a scripted typist in Debian's Chromium records a fallen-tree dispatch from "new call"
(Alt+Shift+N) to the case number on screen, counting keystrokes and seconds; and page load to an
interactive form (the page script's `intake-ready` mark). Figures go to bench/results/intake_console.*.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from werkzeug.serving import make_server

from app.db import db
from app.models import Case, Category, District
from bench.bulk import load_cases
from bench.database import DEFAULT_PG_URL, app_context, create_agent, make_database, server_version
from bench.datagen import default_end
from bench.measure import latency_ms, machine
from bench.report import RESULTS_DIR

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "bench-password-1999"
# Chinese is typed through an input method: about three keys per character with 注音 (zhuyin) and a choice.
KEYS_PER_HANZI = 3
HUMAN_KEYS_PER_SECOND = 4.0  # a practised agent, between looking at the caller's words and the screen


def _variant(address: str, rng: random.Random) -> str:
    """The same address as another caller writes it: full-width digits, 臺, spaces, 之 moved."""
    text = address.replace("台", "臺") if rng.random() < 0.5 else address
    if rng.random() < 0.5:
        text = "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in text)
    if rng.random() < 0.5:
        text = re.sub(r"(\d+)號", r"\1 號", text)
    return text


def time_lookups(database: Any, queries: int, seed: int) -> dict[str, Any]:
    from app.access import Actor
    from app.cases.duplicates import find_duplicates
    from app.vocabulary import Role

    rng = random.Random(seed)
    end = default_end()
    actor = Actor(user_id=None, username="bench", role=Role.AGENT)
    with app_context(database):
        recent = db.session.execute(
            select(Case.address, Category.code, District.code, Case.reporter_phone)
            .join(Category, Case.category_id == Category.id)
            .join(District, Case.district_id == District.id)
            .order_by(Case.id.desc())
            .limit(queries * 4)
        ).all()
        rng.shuffle(recent)
        by_place, by_caller, found = [], [], 0
        for address, category, district, phone in recent[:queries]:
            for kind, caller, place in (("place", None, address), ("caller", phone, None)):
                started = time.perf_counter()
                hits = find_duplicates(
                    session=db.session,
                    actor=actor,
                    category_code=category,
                    district_code=district if place else None,
                    address=_variant(place or "", rng) if place else None,
                    caller=caller,
                    now=end,
                )
                (by_place if kind == "place" else by_caller).append(time.perf_counter() - started)
                found += bool(hits)
                db.session.rollback()
    return {
        "queries": len(by_place),
        "found_some": found,
        "same_place": latency_ms(by_place),
        "same_caller": latency_ms(by_caller),
    }


def time_browser(database: Any, runs: int) -> dict[str, Any]:
    from playwright.sync_api import expect, sync_playwright

    from app.users.service import create_user
    from app.vocabulary import Role

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request would drown the figures
    app = database.app()
    with app.app_context():
        create_user(session=db.session, username="bench-typist", role=Role.AGENT, password=PASSWORD)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    steps: list[tuple[str, str]] = [
        ("press", "Alt+Shift+N"),
        ("type", "0912345678"),
        ("press", "Enter"),
        ("type", "路樹"),
        ("press", "Enter"),
        ("press", "Tab"),
        ("type", "鳳山"),
        ("press", "Enter"),
        ("press", "Tab"),
        ("type", "光復路二段132號"),
        ("press", "Enter"),
        ("type", "路樹倒塌擋住車道"),
        ("press", "Control+Enter"),
    ]
    keys = sum(1 if kind == "press" else len(text) for kind, text in steps)
    hanzi = sum(sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff") for kind, text in steps if kind == "type")
    seconds, loads = [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            page = browser.new_context(base_url=base, locale="zh-TW").new_page()
            page.goto("/login")
            page.get_by_label("帳號", exact=True).fill("bench-typist")
            page.get_by_label("密碼", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="登入", exact=True).click()
            page.wait_for_url(re.compile("/console/intake"))  # an agent's home after login
            for _ in range(runs):
                page.goto("/console/my-work")
                page.wait_for_load_state()
                started = time.perf_counter()
                for kind, text in steps:
                    if kind == "press":
                        page.keyboard.press(text)
                    else:
                        page.keyboard.type(text)
                    if text == "Alt+Shift+N":
                        page.wait_for_url(re.compile(r"/console/intake$"))
                    if text == "Enter" and "/calls/" not in page.url:
                        page.wait_for_url(re.compile(r"/calls/\d+$"))
                        page.wait_for_load_state()
                expect(page.locator(".case-number")).to_be_visible()
                seconds.append(time.perf_counter() - started)
                page.goto("/console/intake")
                page.locator("#caller").fill("0912345678")
                page.locator("#caller").press("Enter")
                page.wait_for_url(re.compile(r"/calls/\d+$"))
                page.wait_for_function("performance.getEntriesByName('intake-ready').length > 0")
                loads.append(page.evaluate("performance.getEntriesByName('intake-ready')[0].startTime") / 1000)
            browser.close()
    finally:
        server.shutdown()
    return {
        "runs": runs,
        "keystrokes_scripted": keys,
        "hanzi_typed": hanzi,
        "keystrokes_with_zhuyin_ime_estimate": keys - hanzi + hanzi * KEYS_PER_HANZI,
        "new_call_to_case_number_scripted": latency_ms(seconds),
        "human_seconds_estimate": round((keys - hanzi + hanzi * KEYS_PER_HANZI) / HUMAN_KEYS_PER_SECOND, 1),
        "page_load_to_interactive_form": latency_ms(loads),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.intake_console", description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5, help="scripted dispatches in the browser")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--seed", type=int, default=1999)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as workdir:
        print(f"[{options.backend}] migrate + seed, load {options.cases:,} cases", flush=True)
        database = make_database(options.backend, Path(workdir), options.pg_url)
        agent_id, _ = create_agent(database)
        load, _sample = load_cases(
            database, count=options.cases, agent_id=agent_id, end=default_end(), seed=options.seed
        )
        print(f"  loaded in {load.seconds:.0f} s; duplicate lookups", flush=True)
        lookups = time_lookups(database, options.queries, options.seed)
        print(f"  {json.dumps(lookups, ensure_ascii=False)}\n  browser", flush=True)
        browser = time_browser(database, options.runs)
        print(f"  {json.dumps(browser, ensure_ascii=False)}", flush=True)
        result = {
            "backend": options.backend,
            "database": server_version(database),
            "cases": options.cases,
            "load_seconds": round(load.seconds, 1),
            "duplicate_lookup": lookups,
            "browser": browser,
            "machine": machine(),
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": f"python -m bench.intake_console --backend {options.backend} --cases {options.cases}",
        }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / "intake_console.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

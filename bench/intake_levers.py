"""Each intake lever of issue 16 measured on its own: `python -m bench.intake_levers`.

For each lever, an export of HEAD with that one lever undone (a few lines put back as they were, listed in
LEVERS) serves intakes in-process (Flask's test client, one thread, PostgreSQL): the app's CPU per intake
(process time, PostgreSQL's excluded) and its round trips counted at the protocol (bench/roundtrips.py).
Beside them HEAD itself and the code before issue 16 (BASE). Results: bench/results/intake_levers.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.measure import machine
from config.settings import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results"
BASE = "ce12acf"  # main before issue 16's intake work
SESSION_START = "aa0d2b1"  # issue 16 as the 30 November sessions left it
ORM_WRITES = "ed7e6c8"  # every lever below, the intake's rows still written by the ORM's flush
CALLS_COUNTED = 50  # intakes whose Python function calls are counted (after the timed ones)
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/hotline_bench_intake"

# lever -> [(file, as HEAD has it, as it was)]: undoing one lever leaves the others in place.
LEVERS: dict[str, list[tuple[str, str, str]]] = {
    "no pool pre-ping (recycle instead)": [
        ("app/__init__.py", '"pool_recycle": POOL_RECYCLE_SECONDS}', '"pool_pre_ping": True}'),
        ("app/cases/numbers.py", "pool_recycle=600,", "pool_pre_ping=True,"),
    ],
    "calendar cached per process": [
        (
            "app/reference/government_calendar.py",
            'return cached(session, ("calendar", id(calendar_source())), lambda: load_calendar(session))',
            "return load_calendar(session)",
        ),
    ],
    "token -> user cached per process": [
        (
            "app/users/service.py",
            'live = cached(session, ("token", token_hash), lambda: _live_token(session, token_hash))',
            "live = _live_token(session, token_hash)",
        ),
    ],
    "duty roster cached per process": [
        (
            "app/reference/rosters.py",
            'since, rosters = cached(session, "rosters", lambda: _rosters_since(session, now - timedelta(days=1)))',
            "since, rosters = _rosters_since(session, now - timedelta(days=1))",
        ),
    ],
    "SMS opt-outs cached per process": [
        ("app/alerting/alerts.py", 'return cached(session, "sms_opt_outs", load)', "return load()"),
    ],
    "grams, events and outbox rows in one statement (PostgreSQL)": [
        (
            "app/cases/intake.py",
            "    _write_rows(session, case, events, outbox)\n",
            "    search.index_case(session, case)\n    append_events(session, events)\n"
            "    alerts.queue_notifications(session, outbox)\n",
        ),
    ],
    "argument schemas built once (not per request)": [
        (
            "app/api/inputs.py",
            "return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)",
            "return super().arguments(schema, *args, **kwargs)",
        ),
    ],
    "the case INSERT without its NULL columns (psycopg's statement cache)": [
        (
            "app/cases/intake.py",
            "case_id = session.connection().execute(_INSERT_CASE, written).scalar_one()",
            "case_id = session.connection().execute(_INSERT_CASE, values).scalar_one()",
        ),
    ],
    "the 201 body as JSON from the values in hand (not marshmallow)": [
        (
            "app/api/cases.py",
            "    created = jsonify(_view(case))  # from the values in hand, as CaseSchema would show them (see "
            "list_cases)\n    created.status_code = 201\n    return created\n",
            "    return _view(case)  # type: ignore[return-value]\n",
        ),
    ],
    "grams as one string split by PostgreSQL (not a dumped list)": [
        (
            "app/cases/intake.py",
            "VALUES (CAST(:case_id AS BIGINT), string_to_array(:grams, ' '))",
            "VALUES (CAST(:case_id AS BIGINT), :grams)",
        ),
        (
            "app/cases/intake.py",
            '"grams": search.grams_of(case),',
            '"grams": search.textgrams.short_grams(case.search_text),',
        ),
    ],
    "Core statements on the session's connection (no ORM execute)": [
        ("app/audit.py", "session.connection().execute(_APPEND_EVENTS, rows)", "session.execute(_APPEND_EVENTS, rows)"),
        ("app/alerting/alerts.py", "session.connection().execute(_QUEUE, rows)", "session.execute(_QUEUE, rows)"),
        ("app/cases/intake.py", "session.connection().execute(_INSERT_CASE,", "session.execute(_INSERT_CASE,"),
    ],
    "case-number upsert built once": [
        (
            "app/cases/numbers.py",
            'sequence = connection.execute(_POSTGRESQL_UPSERT, {"day": day}).scalar_one()',
            'sequence = connection.execute(_upsert(postgresql.insert), {"day": day}).scalar_one()',
        ),
    ],
}

# Run inside an export: intakes through the app, CPU and round trips per intake.
PROBE = """
import importlib.util, json, sys, time
from pathlib import Path
spec = importlib.util.spec_from_file_location("head_roundtrips", {roundtrips!r})  # HEAD's counter, in any export
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
RoundTrips = module.RoundTrips
from bench.database import create_agent, make_database
from bench.datagen import intake_bodies
counter = RoundTrips()
database = make_database("postgresql", Path({workdir!r}), {url!r})
_agent, token = create_agent(database)
client = database.app().test_client()
headers = {{"Authorization": f"Bearer {{token}}"}}
bodies = intake_bodies({warmup} + {intakes}, seed=7)
for body in bodies[:{warmup}]:
    assert client.post("/api/v1/cases", json=body, headers=headers).status_code == 201
cpu = time.process_time()
with counter.counting():
    for body in bodies[{warmup}:]:
        assert client.post("/api/v1/cases", json=body, headers=headers).status_code == 201
cpu = time.process_time() - cpu
calls = 0
def count_call(frame, event, arg):  # Python function calls: CPU work that a loaded machine cannot blur
    global calls
    if event == "call":
        calls += 1
extra = intake_bodies({calls_counted}, seed=8)
sys.setprofile(count_call)
for body in extra:
    client.post("/api/v1/cases", json=body, headers=headers)
sys.setprofile(None)
print("PROBE " + json.dumps({{"cpu_ms_per_intake": round(cpu / {intakes} * 1000, 2),
    "python_calls_per_intake": round(calls / {calls_counted}), **counter.per_item({intakes})}}))
"""


def _export(commit: str, into: Path) -> None:
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", commit], cwd=PROJECT_ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    for compiled in (PROJECT_ROOT / "app" / "translations").glob("*/LC_MESSAGES/*.mo"):
        target = into / compiled.relative_to(PROJECT_ROOT)
        target.write_bytes(compiled.read_bytes())


def _undo(tree: Path, edits: list[tuple[str, str, str]]) -> None:
    for name, now, before in edits:
        path = tree / name
        text = path.read_text()
        if now not in text:
            raise RuntimeError(f"{name}: the lever's line is gone ({now!r}); update LEVERS")
        path.write_text(text.replace(now, before))


def _probe(tree: Path, options: argparse.Namespace) -> dict[str, Any]:
    script = PROBE.format(
        roundtrips=str(PROJECT_ROOT / "bench" / "roundtrips.py"),
        workdir=str(tree / "bench-db"),
        url=options.pg_url,
        warmup=options.warmup,
        intakes=options.intakes,
        calls_counted=CALLS_COUNTED,
    )
    output = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
    ).stdout
    result: dict[str, Any] = json.loads(output.split("PROBE ", 1)[1])
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.intake_levers", description=__doc__)
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--intakes", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--only", help="the rows whose name contains this (a quick look; the file keeps just them)")
    options = parser.parse_args(argv)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="intake-levers-") as scratch:
        variants: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
            f"before issue 16 ({BASE})": (BASE, []),
            f"intake rows by the ORM's flush ({ORM_WRITES}), not Core statements": (ORM_WRITES, []),
            f"start of 1 December 2026's session ({SESSION_START})": (SESSION_START, []),
            "HEAD (every lever)": ("HEAD", []),
        }
        variants |= {f"HEAD without: {lever}": ("HEAD", edits) for lever, edits in LEVERS.items()}
        if options.only:
            variants = {name: variant for name, variant in variants.items() if options.only in name}
        for index, (name, (commit, edits)) in enumerate(variants.items()):
            tree = Path(scratch) / f"tree-{index}"
            _export(commit, tree)
            _undo(tree, edits)
            rows[name] = {**_probe(tree, options), "load_average": Path("/proc/loadavg").read_text().split()[:3]}
            print(f"{name}: {rows[name]}", flush=True)
    document = {
        "command": "python -m bench.intake_levers",
        "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "head": head.stdout.strip(),
        "machine": machine(),
        "intakes": options.intakes,
        "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "intake_levers.json").write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    lines = [
        "# Intake levers, one at a time (issue 16)",
        "",
        f"`{document['command']}` at {document['started']}, HEAD {document['head']}: {options.intakes} intakes "
        "in-process (test client, one thread) on PostgreSQL per row; CPU is the app's process time (test client "
        f"included, PostgreSQL excluded), Python function calls counted over {CALLS_COUNTED} more intakes "
        "(steady under load, unlike CPU), round trips counted at the protocol.",
        "",
        "| code | CPU ms / intake | Python calls / intake | round trips | statements | BEGIN | COMMIT | ROLLBACK "
        "| pre-pings | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, row in rows.items():
        lines.append(
            f"| {name} | {row['cpu_ms_per_intake']} | {row['python_calls_per_intake']} | "
            f"{row['round_trips']} | {row['statements']} | {row['begin']} | "
            f"{row['commit']} | {row['rollback']} | {row['pre_pings']} | {' '.join(row['load_average'])} |"
        )
    (RESULTS / "intake_levers.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS / 'intake_levers.md'}")


if __name__ == "__main__":
    main()

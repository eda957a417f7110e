"""How long `flask demo generate` takes for a year at the customer's volumes, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.demo_generate [--backend sqlite|postgresql|both] [--months 12] [--scale 1.0]

A fresh database each time (migrated and seeded), the same code path as the command (generation in
a forked process while this one writes), then the re-derivation check on a sample. Records rows per
table, seconds, rows/s, the CPU seconds of both processes and the load average, since the machine
may be shared: bench/results/demo_generate.json (one entry per backend, replaced on re-run).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from app.db import db
from bench.database import DEFAULT_PG_URL, TZ, app_context, make_database, server_version
from bench.measure import machine

RESULTS = Path(__file__).resolve().parent / "results" / "demo_generate.json"
NOW = datetime(2026, 1, 1, tzinfo=UTC)  # after the stretch: every case's life is played to its end


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _server_cpu(kind: str) -> tuple[int | None, float | None]:
    """PostgreSQL: the writer session's backend process and its CPU seconds so far (None if the server is
    not on this machine): COPY parsing and index upkeep happen there, not in either Python process."""
    if kind != "postgresql":
        return None, None
    pid = int(db.session.execute(text("SELECT pg_backend_pid()")).scalar_one())
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return pid, None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(kind: str, *, months: int, scale: float, seed: int, sample: int, pg_url: str) -> dict[str, Any]:
    from app.demo.check import check_cases
    from app.demo.run import generate, stretch

    workdir = Path(tempfile.mkdtemp(prefix=f"demo-bench-{kind}-"))
    database = make_database(kind, workdir, pg_url)
    first, last = stretch(start=date(2022, 1, 1), months=months, days=None, now=NOW, tz=TZ)
    load_before = os.getloadavg()
    with app_context(database):
        server_pid, server_before = _server_cpu(kind)
        own_before, children_before = _cpu()
        days_done: list[date] = []

        def progress(day: date) -> None:
            days_done.append(day)
            if day.day == 1:
                print(f"  {kind}: {day:%Y-%m} … {time.strftime('%H:%M:%S')}", flush=True)

        report = generate(session=db.session, first=first, last=last, scale=scale, seed=seed, now=NOW, tz=TZ,
                          progress=progress, parallel=True)  # fmt: skip
        own_after, children_after = _cpu()
        load_after = os.getloadavg()
        pid_after, server_after = _server_cpu(kind)
        server_cpu = None
        if server_before is not None and server_after is not None and pid_after == server_pid:
            server_cpu = round(server_after - server_before, 1)
        ids = list(range(report.case_ids[0], report.case_ids[1] + 1))
        started = time.perf_counter()
        mismatches = check_cases(db.session, sorted(random.Random(seed).sample(ids, min(sample, len(ids)))), now=NOW)
        check_seconds = time.perf_counter() - started
    result = {
        "backend": kind,
        "server": server_version(database),
        "stretch": f"{first} – {last}",
        "scale": scale,
        "seed": seed,
        "rows": report.rows,
        "total_rows": report.total_rows,
        "seconds": round(report.seconds, 1),
        "rows_per_s": round(report.total_rows / report.seconds),
        "cpu_seconds_writer_process": round(own_after - own_before, 1),
        "cpu_seconds_generator_process": round(children_after - children_before, 1),
        "cpu_seconds_database_server": server_cpu,  # PostgreSQL's backend for the writer; SQLite runs in the writer
        "typhoons": [str(day) for day in report.typhoons],
        "checked_cases": min(sample, len(ids)),
        "mismatches": len(mismatches),
        "check_seconds": round(check_seconds, 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--check", type=int, default=2000)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL.replace("hotline_bench", "hotline_bench_demo"))
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for kind in kinds:
        results[kind] = run(
            kind, months=args.months, scale=args.scale, seed=args.seed, sample=args.check, pg_url=args.pg_url
        )
        RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()

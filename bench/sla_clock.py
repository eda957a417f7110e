"""The working-time clock's deadline rate: `sla.clock.add(working clock, start, 48 h)` over 200,000 random
starts in 2025–2026, and `sla.timeline.plan(petition policy, working clock, start)` over the same starts."""

from __future__ import annotations

import gc
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.reference.files import load_entries
from bench.measure import code_version, system_busy_seconds
from bench.sla_sweep import SlaSweepOptions
from config.settings import REFERENCE_DIR
from sla.calendar import GovernmentCalendar
from sla.clock import WorkingClock, add
from sla.policy import Policy, build_policy
from sla.timeline import plan

TARGET_ADDS_PER_S = 100_000
CLOCK_WINDOW = timedelta(hours=48)
CLOCK_YEARS = (2025, 2026)


def petition_policy() -> Policy:
    """The petition policy exactly as sla.yaml defines it (what the seed stores)."""
    case_type_of = {
        entry["code"]: entry["case_type"] for entry in load_entries(REFERENCE_DIR / "categories.yaml", "categories")
    }
    for entry in load_entries(REFERENCE_DIR / "sla.yaml", "policies"):
        if entry.get("case_type") == "petition" and entry.get("category") is None:
            return build_policy(entry, where="sla.yaml", case_type_of=case_type_of)
    raise RuntimeError("sla.yaml has no petition policy")


def _rate(items: int, seconds: float) -> float:
    return items / seconds if seconds else 0.0


def run_clock(options: SlaSweepOptions) -> dict[str, Any]:
    """Deadlines per second on the working clock: a fresh clock's first pass, then warm passes."""
    code = code_version()
    rng = random.Random(options.seed)
    first = datetime(CLOCK_YEARS[0], 1, 1, tzinfo=UTC).timestamp()
    last = datetime(CLOCK_YEARS[-1] + 1, 1, 1, tzinfo=UTC).timestamp()
    starts = [datetime.fromtimestamp(rng.uniform(first, last), UTC) for _ in range(options.clock_starts)]
    policy = petition_policy()
    tz = ZoneInfo("Asia/Taipei")

    # What building the per-year tables costs, on a clock of its own.
    started = time.perf_counter()
    tables = WorkingClock(GovernmentCalendar(), tz)
    for year in range(CLOCK_YEARS[0], CLOCK_YEARS[-1] + 2):  # 48 h from late December reach the next year
        add(tables, datetime(year, 7, 1, tzinfo=tz), timedelta(0))
    tables_ms = (time.perf_counter() - started) * 1000

    clock = WorkingClock(GovernmentCalendar(), tz)  # a fresh clock: its first pass builds the tables

    def time_adds() -> float:
        gc.collect()
        started = time.perf_counter()
        for start in starts:
            add(clock, start, CLOCK_WINDOW)
        return time.perf_counter() - started

    def time_plans() -> float:
        gc.collect()
        started = time.perf_counter()
        for start in starts:
            plan(policy, clock, start)
        return time.perf_counter() - started

    n = len(starts)
    busy, own, wall = system_busy_seconds(), time.process_time(), time.perf_counter()
    first_pass = time_adds()
    add_passes = [time_adds() for _ in range(max(1, options.clock_passes))]
    plan_passes = [time_plans() for _ in range(max(1, options.plan_passes))]
    wall = time.perf_counter() - wall
    other = max(0.0, system_busy_seconds() - busy - (time.process_time() - own)) / wall
    milestones = plan(policy, clock, starts[0]).milestones
    adds_per_s = _rate(n, statistics.median(add_passes))
    plans_per_s = _rate(n, statistics.median(plan_passes))
    print(
        f"  add(working clock, start, 48 h): {adds_per_s:,.0f}/s (median of {len(add_passes)} warm passes over "
        f"{n:,} starts; first pass on a fresh clock {_rate(n, first_pass):,.0f}/s; year tables {tables_ms:.0f} ms)",
        flush=True,
    )
    print(
        f"  plan(petition policy, working clock, start): {plans_per_s:,.0f} timelines/s "
        f"({len(milestones)} milestones each); other processes used {other:.2f} cores meanwhile",
        flush=True,
    )
    return {
        "backend": "clock (pure Python)",
        "code_at_start": code,
        "starts": n,
        "years": list(CLOCK_YEARS),
        "window": "48h",
        "timezone": "Asia/Taipei",
        "calendar": "GovernmentCalendar() (no overrides), default working hours",
        "year_tables_ms": round(tables_ms, 1),
        "add": {
            "per_s": round(adds_per_s),
            "passes_per_s": [round(_rate(n, seconds)) for seconds in add_passes],
            "first_pass_per_s": round(_rate(n, first_pass)),
            "target_per_s": TARGET_ADDS_PER_S,
            "meets_target": adds_per_s >= TARGET_ADDS_PER_S,
        },
        "plan": {
            "policy": json.dumps(policy.to_spec(), ensure_ascii=False),
            "milestones_per_timeline": len(milestones),
            "milestone_kinds": [f"{m.target}:{m.kind}" for m in milestones],
            "per_s": round(plans_per_s),
            "passes_per_s": [round(_rate(n, seconds)) for seconds in plan_passes],
        },
        "other_processes_cores": round(other, 2),
    }

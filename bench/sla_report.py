"""The SLA figures as markdown: bench/results/sla-sweep.md and the SLA section appended to the results README."""

from __future__ import annotations

import statistics
from pathlib import Path

from bench.report import _read, _write_atomically
from bench.sla_sweep import DUE


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"


def markdown_section(results_dir: Path, heading: str = "##") -> list[str]:
    """The SLA figures as markdown lines (for sla-sweep.md and the README summary)."""
    document = _read(results_dir / "sla_sweep.json")
    results = document.get("results", {})
    if not results:
        return []
    due = next((e["sizes"][k]["due_per_run"] for e in results.values() for k in e.get("sizes", {})), DUE)
    commands = sorted({entry["command"] for entry in results.values() if entry.get("command")})
    lines = [
        f"{heading} SLA sweep: {due} due cases among 10 % open, by table size",
        "",
        *(f"Command: `{command}`" for command in commands),
        "",
        "| backend | cases | open with next check | load s | database MB | sweep median ms | min ms | max ms "
        "| first sweep ms | events per sweep | statements / in driver ms (1 run) | other processes, cores |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ratios = []
    for backend, entry in results.items():
        if "sizes" not in entry:
            continue
        for size in entry["sizes"].values():
            instrumented = size["instrumented_run"]
            other = statistics.median(size["other_processes_cores_per_run"])
            lines.append(
                f"| {backend} | {size['cases']:,} | {size['open_with_next_check']:,} | {size['load']['seconds']:,.0f} "
                f"| {size['database_mb']:,.0f} | {_ms(size['median_ms'])} | {_ms(size['min_ms'])} "
                f"| {_ms(size['max_ms'])} | {_ms(size['first_sweep_ms'])} | {size['events_per_run']} "
                f"| {instrumented['statements']} / {_ms(instrumented['in_driver_ms'])} | {other:.2f} |"
            )
        ratio = entry["ratio"]
        verdict = "meets" if ratio["meets_target"] else "**misses**"
        skipped = entry.get("skipped_sizes") or []
        note = f" ({', '.join(f'{s:,}' for s in skipped)} cases not run on {backend})" if skipped else ""
        ratios.append(
            f"- {backend}: {ratio['of']} = **{ratio['value']}** ({verdict} the target ≤ {ratio['target']}){note}"
        )
    lines += ["", *ratios, ""]
    clock = results.get("clock (pure Python)")
    if clock:
        add_ = clock["add"]
        plan_ = clock["plan"]
        lines += [
            f"{heading} Working-time clock: deadline arithmetic per second",
            "",
            "| computation | per second (median of warm passes) | warm passes | first pass, fresh clock | target |",
            "|---|---:|---|---:|---|",
            f"| `add(WorkingClock, start, 48 h)` | {add_['per_s']:,} | "
            + ", ".join(f"{v:,}" for v in add_["passes_per_s"])
            + f" | {add_['first_pass_per_s']:,} | ≥ {add_['target_per_s']:,}/s: "
            + ("yes" if add_["meets_target"] else "**no**")
            + " |",
            f"| `plan(petition policy, WorkingClock, start)`: {plan_['milestones_per_timeline']} milestones "
            f"({', '.join(plan_['milestone_kinds'])}) | {plan_['per_s']:,} | "
            + ", ".join(f"{v:,}" for v in plan_["passes_per_s"])
            + " | – | – |",
            "",
            f"Over {clock['starts']:,} random starts in {clock['years'][0]}–{clock['years'][-1]}, "
            f"{clock['timezone']}, {clock['calendar']}; one process, one core. Building the clock's year tables "
            f"({clock['years'][0]}–{clock['years'][-1] + 1}) took {clock['year_tables_ms']} ms. Other processes used "
            f"{clock['other_processes_cores']} cores meanwhile.",
            "",
        ]
    some = next((e for e in results.values() if "sizes" in e), None)
    if some:
        lines += [
            "Due cases per run: " + ", ".join(some["due_mix"]) + ".",
            "",
            *(f"- {line}" for line in some["method"]),
            "",
            "Full figures (every run, load steps, the due-case query's plan) are in `sla_sweep.json` and "
            "`sla-sweep.md`.",
            "",
        ]
    return lines


def write_markdown(results_dir: Path) -> Path:
    document = _read(results_dir / "sla_sweep.json")
    results = document.get("results", {})
    facts = document.get("machine", {})
    lines = [
        "# Benchmark: SLA sweep and working-time clock",
        "",
        f"Machine: {facts.get('cpus')} CPUs, Python {facts.get('python')}, SQLite {facts.get('sqlite')}, "
        f"{facts.get('platform')}.",
        "",
        *markdown_section(results_dir),
    ]
    for backend, entry in results.items():
        for size in entry.get("sizes", {}).values():
            lines += [
                f"## Due-case query plan: {backend}, {size['cases']:,} cases",
                "",
                "```",
                size["due_query_plan"],
                "```",
                "",
            ]
    path = results_dir / "sla-sweep.md"
    _write_atomically(path, "\n".join(lines))
    return path

"""Writing results: one JSON file per benchmark (merged per backend), query plans, and a markdown summary."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.measure import code_version, machine

RESULTS_DIR = Path(__file__).resolve().parent / "results"
BACKENDS = ("sqlite", "postgresql")


def _write_atomically(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(content, encoding="utf-8")
    temporary.replace(path)


def append_sections(results_dir: Path, *sections: list[str]) -> Path:
    """Add sections (lists of markdown lines; empty ones skipped) to the README.md write_summary wrote."""
    path = results_dir / "README.md"
    text = path.read_text(encoding="utf-8").rstrip("\n") if path.exists() else ""
    for lines in sections:
        if lines:
            text += "\n\n" + "\n".join(lines).strip("\n")
    _write_atomically(path, text)
    return path


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return {}


def record(results_dir: Path, name: str, entry: dict[str, Any], command: str, load_before: str = "") -> Path:
    """Put one backend's result into <name>.json, keeping the other backend's earlier result."""
    path = results_dir / f"{name}.json"
    document = _read(path)
    results = document.get("results") if isinstance(document.get("results"), dict) else {}
    entry = {
        **entry,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "code": code_version(),
        "load_average_before": load_before,
    }
    results[entry["backend"]] = entry
    ordered = sorted(results, key=lambda key: (BACKENDS.index(key) if key in BACKENDS else len(BACKENDS), key))
    document = {"benchmark": name, "machine": machine(), "results": {key: results[key] for key in ordered}}
    _write_atomically(path, json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    return path


def record_plans(results_dir: Path, backend: str, plans: dict[str, str]) -> Path:
    """Query plans per backend, as EXPLAIN (ANALYZE, BUFFERS) / EXPLAIN QUERY PLAN printed them."""
    slug = re.sub(r"[^a-z0-9]+", "-", backend.lower().replace("(what-if)", "")).strip("-")
    path = results_dir / f"search-plans-{slug}.md"
    title = "EXPLAIN (ANALYZE, BUFFERS)" if backend.startswith("postgresql") else "EXPLAIN QUERY PLAN"
    lines = [f"# Search query plans on {backend} ({title})", ""]
    lines.append("The statements are exactly what `app.cases.queries.list_cases` sent (captured from the engine).")
    lines.append("")
    for label, plan in plans.items():
        lines += [f"## {label}", "", "```", plan, "```", ""]
    _write_atomically(path, "\n".join(lines))
    return path


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 100 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _intake_table(document: dict[str, Any]) -> list[str]:
    results = document.get("results", {})
    if not results:
        return []
    lines = [
        "## Intake: POST /api/v1/cases over HTTP, and the bare SQLAlchemy Core floor",
        "",
        "| backend | server | requests | concurrency | cases/s | p50 ms | p99 ms | non-201 "
        "| Core cases/s | Core p50 ms | HTTP/Core | Core without counter row cases/s "
        "| server CPU ms/case | PostgreSQL CPU ms/case | other processes, cores |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for backend, entry in results.items():
        http, core = entry["http"], entry["core"]
        lines.append(
            "| "
            + " | ".join(
                _cell(value)
                for value in (
                    backend,
                    http["server"],
                    http["requests"],
                    http["concurrency"],
                    http["cases_per_s"],
                    http["latency"]["p50_ms"],
                    http["latency"]["p99_ms"],
                    http["non_201"],
                    core["rows_per_s"],
                    core["latency"]["p50_ms"],
                    entry["http_over_core"],
                    core.get("without_counter_row", {}).get("rows_per_s"),
                    http["cpu"]["server_cpu_ms_per_case"],
                    http["cpu"].get("postgres_cpu_ms_per_case"),
                    http["cpu"].get("other_processes_cores"),
                )
            )
            + " |"
        )
    lines += [
        "",
        "Target: ≥ 300 cases/s over HTTP on PostgreSQL. The load generator (asyncio + httpx) runs on the same "
        "2-core machine as gunicorn and PostgreSQL; `intake.json` has its CPU share. The Core floor writes what "
        "`open_case` writes (case-number counter upsert, the case row, its grams row, 1–2 events) in one "
        "transaction per case from the same number of threads, with no reads, validation or HTTP; "
        '"without counter row" numbers the cases from a Python counter instead, to show what the single '
        'daily `case_number_counters` row (locked until commit) costs. "Other processes" is CPU used '
        "by anything else on the machine during the HTTP run (from /proc/stat): above ~0.2 the figures are disturbed.",
        "",
    ]
    return lines


def _search_tables(document: dict[str, Any]) -> list[str]:
    results = document.get("results", {})
    if not results:
        return []
    backends = list(results)
    first = results[backends[0]]
    lines = [
        f"## Search: `list_cases` (limit 50, newest first) over {first['cases']:,} generated cases",
        "",
        "| query class | " + " | ".join(f"{b} p50 ms | {b} p99 ms" for b in backends) + " | p99 ≤ 50 ms |",
        "|---|" + "---:|---:|" * len(backends) + "---|",
    ]
    classes = list(first["classes"])
    for query_class in [*classes, "overall"]:
        cells = [query_class]
        verdicts = []
        for backend in backends:
            entry = results[backend]
            stats = entry["overall"] if query_class == "overall" else entry["classes"].get(query_class, {})
            cells += [_cell(stats.get("p50_ms")), _cell(stats.get("p99_ms"))]
            met = stats.get("p99_ms", 1e9) <= entry["target_p99_ms"]
            verdicts.append("yes" if met else f"**no** ({backend})")
        cells.append("yes" if all(v == "yes" for v in verdicts) else ", ".join(v for v in verdicts if v != "yes"))
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "| backend | cases | load s | rows/s | database MB | load steps (s) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for backend, entry in results.items():
        if entry.get("what_if"):
            continue
        load = entry["load"]
        steps = ", ".join(f"{step} {seconds}" for step, seconds in load["steps_s"].items())
        lines.append(
            f"| {backend} | {_cell(entry['cases'])} | {_cell(load['seconds'])} | {_cell(load['rows_per_s'])} "
            f"| {_cell(entry['database_mb'])} | {steps} |"
        )
    others = ", ".join(f"{b} {e.get('other_processes_cores', '?')}" for b, e in results.items())
    lines += ["", f"CPU used by other processes during the searches, in cores: {others}."]
    what_ifs = [(backend, entry["what_if"]) for backend, entry in results.items() if entry.get("what_if")]
    lines += [f"\n“{backend}”: {what_if}." for backend, what_if in what_ifs]
    lines += [
        "",
        "Per-query figures (and hits on the first page) are in `search.json`; the plans of every query are in "
        "`search-plans-<backend>.md`. Timings are warm (data in the OS cache), one search at a time, a fresh "
        "session per search; p99 is nearest-rank over all runs of the class. `python_gc_max_ms` in `search.json` "
        "tells a garbage-collection pause of the benchmark process from a slow query. PostgreSQL's plans follow "
        "ANALYZE's random sample, so a re-run can pick a different plan for the same query.",
        "",
    ]
    return lines


def write_summary(results_dir: Path) -> Path:
    intake = _read(results_dir / "intake.json")
    search = _read(results_dir / "search.json")
    facts = (intake or search).get("machine", {})
    entries = [entry for doc in (intake, search) for entry in doc.get("results", {}).values()]
    commands = sorted({entry.get("command", "") for entry in entries})
    loads = sorted({entry.get("load_average_before", "") for entry in entries})
    lines = [
        "# Benchmarks: case core",
        "",
        "Figures only; no test depends on them. Re-run with `make bench` (or `.venv/bin/python -m bench --help`).",
        "",
        f"Machine: {facts.get('cpus')} CPUs, Python {facts.get('python')}, SQLite {facts.get('sqlite')}, "
        f"{facts.get('platform')}.",
        "",
        *(f"Load average before the run: {load}." for load in loads if load),
        "",
        *(f"Command: `{command}`" for command in commands if command),
        "",
        *_intake_table(intake),
        *_search_tables(search),
    ]
    path = results_dir / "README.md"
    _write_atomically(path, "\n".join(lines))
    return path

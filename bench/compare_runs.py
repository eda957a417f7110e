"""`python bench/compare_runs.py DIR [PREFIX ...]`: before/after tables of intake and push_latency runs.

DIR holds `<prefix>before-intake/`, `<prefix>after-intake/`, `<prefix>before-push/` and `<prefix>after-push/`,
the `--results` directories of `python -m bench intake` and `python -m bench push_latency` run in two checkouts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _load(path: Path) -> dict[str, Any]:
    results: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["results"]
    return results


def intake_table(root: Path, prefixes: list[str]) -> list[str]:
    lines = [
        "| run | side | backend | cases/s | p50 ms | p99 ms | Core floor cases/s | HTTP/Core "
        "| other processes, cores |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for prefix in prefixes:
        for side in ("before", "after"):
            for backend, run in _load(root / f"{prefix}{side}-intake" / "intake.json").items():
                http, core = run["http"], run["core"]
                commit = run.get("code", {}).get("commit", "?")
                lines.append(
                    f"| {prefix or '1'} | {side} ({commit}) | {backend} | {http['cases_per_s']} "
                    f"| {http['latency']['p50_ms']} | {http['latency']['p99_ms']} | {core['rows_per_s']} "
                    f"| {run['http_over_core']} | {http['cpu']['other_processes_cores']} |"
                )
    return lines


def push_table(root: Path, prefixes: list[str]) -> list[str]:
    lines = [
        "| run | side | scenario | p50 ms | p95 ms | p99 ms | max ms | missing | duplicated "
        "| other processes, cores | quiet seconds: p99 ms (seconds) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for prefix in prefixes:
        for side in ("before", "after"):
            for name, run in _load(root / f"{prefix}{side}-push" / "push_latency.json").items():
                latency, checks, quiet = run["latency"], run["checks"], run["quiet_seconds"]
                quiet_p99 = (quiet.get("latency") or {}).get("p99_ms", "–")
                lines.append(
                    f"| {prefix or '1'} | {side} ({run['code_at_start']['commit']}) | {name} | {latency['p50_ms']} "
                    f"| {latency['p95_ms']} | {latency['p99_ms']} | {latency['max_ms']} | {checks['missing']} "
                    f"| {checks['duplicated']} | {run['cores'].get('other', '?')} "
                    f"| {quiet_p99} ({quiet['seconds']} of {quiet['of']}) |"
                )
    return lines


def main(argv: list[str]) -> None:
    root, prefixes = Path(argv[0]), argv[1:] or [""]
    print("\n".join([*intake_table(root, prefixes), "", *push_table(root, prefixes)]))


if __name__ == "__main__":
    main(sys.argv[1:])

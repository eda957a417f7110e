"""The dispatch figures as markdown: bench/results/dispatch.md and the section appended to the results README."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.report import _read, _write_atomically


def _ms(latency: dict[str, Any], key: str) -> str:
    value = latency.get(key)
    return "–" if value is None else f"{value:,.1f}"


def _latency_cells(latency: dict[str, Any]) -> str:
    return " | ".join(_ms(latency, key) for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms"))


def _yes(value: bool) -> str:
    return "yes" if value else "**no**"


def _delivered(phase: dict[str, Any]) -> str:
    return f"{phase['sms_accepted']:,} / {phase['sms_rows']:,}: {_yes(phase['all_delivered'])}"


def _cores(phase: dict[str, Any]) -> str:
    cores = phase.get("cores", {})
    return f"{cores.get('benchmark_process', '–')} / {cores.get('postgres', '–')} / {cores.get('other_processes', '–')}"


def _attempts(attempts: dict[str, int]) -> str:
    return ", ".join(f"{attempt}: {count:,}" for attempt, count in attempts.items())


def markdown_section(results_dir: Path, heading: str = "##") -> list[str]:
    """The dispatch figures as markdown lines (for dispatch.md and the README summary)."""
    results = _read(results_dir / "dispatch.json").get("results", {})
    if not results:
        return []
    commands = sorted({entry["command"] for entry in results.values() if entry.get("command")})
    some = next(iter(results.values()))
    options = some["options"]
    lines = [
        f"{heading} Dispatch: case committed → SMS at the (fake) Twilio, through the real outbox sender",
        "",
        *(f"Command: `{command}`" for command in commands),
        "",
        "| backend | phase | dispatches at /s | SMS | p50 ms | p95 ms | p99 ms | max ms | SMS/s | delivered "
        "| sent twice | cores: bench / postgres / other |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for backend, entry in results.items():
        for name, phase in entry["phases"].items():
            if "latency" not in phase or "latency_retried" in phase:
                continue
            intake = phase["intake"]
            lines.append(
                f"| {backend} | {name} | {phase['dispatches']:,} at {intake['achieved_per_s']} "
                f"| {phase['sms_rows']:,} | {_latency_cells(phase['latency'])} | {phase['sms_per_s']} "
                f"| {_delivered(phase)} | {phase['sent_twice']} | {_cores(phase)} |"
            )
    lines += [
        "",
        "Throughput: dispatches opened first with no sender running, then the senders started and timed until "
        "the last SMS was accepted.",
        "",
        "| backend | phase | dispatches | SMS | seconds | SMS/s | bench process CPU ms/SMS | delivered | sent twice "
        "| opened beforehand at /s | cores: bench / postgres / other |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for backend, entry in results.items():
        for name, phase in entry["phases"].items():
            if "seconds" not in phase:
                continue
            lines.append(
                f"| {backend} | {name} | {phase['dispatches']:,} | {phase['sms_rows']:,} | {phase['seconds']} "
                f"| {phase['sms_per_s']} | {phase.get('cpu_ms_per_sms', '–')} | {_delivered(phase)} "
                f"| {phase['sent_twice']} "
                f"| {phase['intake']['achieved_per_s']} | {_cores(phase)} |"
            )
    failure_lines = []
    for backend, entry in results.items():
        for phase in entry["phases"].values():
            if "latency_retried" not in phase:
                continue
            drain = phase["simulated_drain"]
            failure_lines.append(
                f"| {backend} | {phase['sms_rows']:,} | {phase['sms_requests']:,} ({phase['failed_requests']:,}) "
                f"| {_attempts(phase['attempts_of_sent'])} | {_latency_cells(phase['latency_first_try'])} "
                f"| {phase['latency_retried'].get('n', 0):,} | {_latency_cells(phase['latency_retried'])} "
                f"| {phase['retried_in_real_time']:,} / {phase['retried_on_simulated_clock']:,} "
                f"| {drain['clock_skipped_s']:,} | {_delivered(phase)} | {phase['sent_twice']} |"
            )
    if failure_lines:
        lines += [
            "",
            f"With the fake failing {options['failure_rate']:.0%} of requests (HTTP 500, seeded), "
            f"{options['dispatches']:,} dispatches at {options['rate']:g}/s, {options['senders']} senders polling:",
            "",
            "| backend | SMS | requests (failed) | attempts of sent SMS: count | first try p50 ms | p95 ms | p99 ms "
            "| max ms | retried SMS | retried p50 ms | p95 ms | p99 ms | max ms | retried in real time / on "
            "simulated clock | clock skipped s | delivered | sent twice |",
            "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|",
            *failure_lines,
        ]
    lines += [
        "",
        *(f"- {line}" for line in some["method"]),
        "",
        "Per-attempt latency, sender passes and statuses are in `dispatch.json`; the full tables in `dispatch.md`.",
        "",
    ]
    return lines


def write_markdown(results_dir: Path) -> Path:
    document = _read(results_dir / "dispatch.json")
    facts = document.get("machine", {})
    lines = [
        "# Benchmark: dispatch alerts through the outbox sender",
        "",
        f"Machine: {facts.get('cpus')} CPUs, Python {facts.get('python')}, SQLite {facts.get('sqlite')}, "
        f"{facts.get('platform')}.",
        "",
        *markdown_section(results_dir),
    ]
    for backend, entry in document.get("results", {}).items():
        lines += [f"## {backend}: {entry['database']}", ""]
        for name, phase in entry["phases"].items():
            by_attempt = phase.get("latency_by_attempt")
            if by_attempt:
                lines += [f"Latency by attempt, {name}:", "", "| attempt | SMS | p50 ms | p95 ms | p99 ms | max ms |"]
                lines += ["|---:|---:|---:|---:|---:|---:|"]
                lines += [
                    f"| {attempt} | {figures['n']:,} | {_latency_cells(figures)} |"
                    for attempt, figures in by_attempt.items()
                ]
                lines.append("")
            lines.append(
                f"- {name}: sender passes {phase['sender_passes']}, intake {phase['intake']}, "
                f"errors {phase['sender_errors'] or 'none'}"
            )
        lines.append("")
    path = results_dir / "dispatch.md"
    _write_atomically(path, "\n".join(lines))
    return path

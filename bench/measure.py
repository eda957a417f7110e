"""Small measuring helpers: percentiles, CPU seconds of processes from /proc, machine facts."""

from __future__ import annotations

import json
import math
import os
import platform
import sqlite3
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
# Set by `python -m bench --head` for the run it starts on an export of HEAD: what is served, and its code version.
HEAD_EXPORT_ENV = "BENCH_HEAD_EXPORT"
CODE_VERSION_ENV = "BENCH_CODE_VERSION"


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of fewer than 100 samples is the maximum)."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50 / p99 / max / mean in milliseconds, rounded for reading."""
    if not seconds:
        return {"n": 0}
    return {
        "n": len(seconds),
        "p50_ms": round(percentile(seconds, 0.50) * 1000, 2),
        "p99_ms": round(percentile(seconds, 0.99) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2),
        "mean_ms": round(sum(seconds) / len(seconds) * 1000, 2),
    }


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process, or 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def system_busy_seconds() -> float:
    """CPU seconds all CPUs spent busy since boot (from /proc/stat), to see what else ran during a measurement."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / TICKS


def children(pid: int) -> list[int]:
    result: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            result.extend(int(child) for child in (task / "children").read_text().split())
        except FileNotFoundError:
            continue
    return result


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its direct children (a gunicorn master and its workers)."""
    return process_cpu_seconds(pid) + sum(process_cpu_seconds(child) for child in children(pid))


class NamedCpu:
    """CPU seconds used between two readings by the processes called `name` (e.g. postgres backends).

    Only processes alive at the second reading count, each from its first reading (or its start), so a
    backend that exits in between cannot make the figure negative or carry its earlier CPU in.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.start = self._snapshot()

    def _snapshot(self) -> dict[int, float]:
        result: dict[int, float] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if (entry / "comm").read_text().strip() == self.name:
                    result[int(entry.name)] = process_cpu_seconds(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
        return result

    def used(self) -> float:
        return sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self._snapshot().items())


def code_version() -> dict[str, object]:
    """The commit measured, and which application files differed from it (uncommitted work)."""
    if os.environ.get(CODE_VERSION_ENV):
        return dict(json.loads(os.environ[CODE_VERSION_ENV]))
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "app", "config", "migrations", "dispatch", "sla", "wsgi.py"],
            cwd=root,
            capture_output=True,
            text=True,
        )
    except OSError:
        return {}
    return {"commit": commit.stdout.strip(), "uncommitted_app_files": len(status.stdout.splitlines())}


def machine() -> dict[str, object]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def cores_used(cpu_seconds: float, wall_seconds: float) -> float:
    return round(cpu_seconds / wall_seconds, 2) if wall_seconds else 0.0


def ms_per_item(cpu_seconds: float, items: int) -> float:
    return round(cpu_seconds / items * 1000, 2) if items else 0.0


def rounded(values: Iterable[float], digits: int = 1) -> list[float]:
    return [round(value, digits) for value in values]


def latency_ms(seconds: Sequence[float]) -> dict[str, float]:
    """n, p50 / p95 / p99 (nearest rank), max and mean in milliseconds."""
    if not seconds:
        return {"n": 0}
    return {
        "n": len(seconds),
        "p50_ms": round(percentile(seconds, 0.50) * 1000, 1),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 1),
        "p99_ms": round(percentile(seconds, 0.99) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
        "mean_ms": round(sum(seconds) / len(seconds) * 1000, 1),
    }

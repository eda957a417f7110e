"""The moving parts of the push benchmark: the consoles' users, the cases routed to the chosen agencies, gunicorn
servers with the commit clock (bench/push_hooks.py), the client processes (bench/push_clients.py), the producer
that POSTs the cases on a fixed schedule, and what the database says each console should have received."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.db import db
from app.models import Agency, Case, CaseEvent
from app.users.service import create_user
from app.vocabulary import Role
from bench.database import BenchDatabase, CategoryRef, DistrictRef, Reference, app_context
from bench.datagen import TextComposer
from bench.intake import GUNICORN, Server, _free_port
from bench.measure import TICKS, children, process_cpu_seconds, system_busy_seconds
from config.settings import PROJECT_ROOT

HOOKS = Path(__file__).resolve().parent / "push_hooks.py"

# --- Who connects, and where the cases go -------------------------------------------------------


@dataclass(frozen=True)
class Console:
    index: int
    username: str
    token: str
    agency: str | None  # None: a supervisor, who sees every event


Route = tuple[CategoryRef, DistrictRef]


@dataclass(frozen=True)
class Routes:
    """The agencies chosen, and for each the (category, district) pairs whose routing lands there."""

    agencies: tuple[str, ...]
    pairs: dict[str, list[Route]]
    by_dispatch: int  # agencies reached by dispatch categories; the rest by petition/supervision ones


def choose_routes(reference: Reference, count: int) -> Routes:
    """`count` agencies that routing reaches, those reached by dispatch categories first."""
    codes = {agency_id: code for code, agency_id in reference.agencies.items()}
    pairs: dict[str, dict[str, list[Route]]] = defaultdict(lambda: defaultdict(list))
    for category in reference.categories:
        for district in reference.districts:
            agency_id = reference.agency_for(category, district)
            if agency_id is not None:
                kind = "dispatch" if category.case_type == "dispatch" else "other"
                pairs[codes[agency_id]][kind].append((category, district))
    dispatch = sorted(code for code, kinds in pairs.items() if kinds["dispatch"])
    others = sorted(code for code in pairs if code not in dispatch)
    chosen = (dispatch + others)[:count]
    if len(chosen) < count:
        raise SystemExit(f"routing reaches only {len(chosen)} agencies; ask for fewer (--agencies)")
    return Routes(
        agencies=tuple(chosen),
        pairs={code: pairs[code]["dispatch"] or pairs[code]["other"] for code in chosen},
        by_dispatch=len([code for code in chosen if code in dispatch]),
    )


@dataclass(frozen=True)
class Planned:
    agency: str
    body: dict[str, Any]


def case_plan(routes: Routes, count: int, seed: int) -> list[Planned]:
    """`count` case bodies for POST /api/v1/cases, the agencies taken in a shuffled round each 40 cases."""
    rng = random.Random(seed)
    composer = TextComposer(rng)
    plan: list[Planned] = []
    while len(plan) < count:
        agencies = list(routes.agencies)
        rng.shuffle(agencies)
        for agency in agencies[: count - len(plan)]:
            category, district = rng.choice(routes.pairs[agency])
            body = {
                "channel": "phone",
                "category": category.code,
                "district": district.code,
                "address": composer.address(district.name_zh),
                "description": composer.description(category.code, located=True),
                "reporter_name": composer.name(),
                "reporter_phone": f"09{rng.randint(10_000_000, 99_999_999)}",
            }
            plan.append(Planned(agency, body))
    return plan


def create_consoles(
    database: BenchDatabase, agencies: tuple[str, ...], clients: int, supervisors: int
) -> list[Console]:
    """`clients` users through the real service: `supervisors` supervisors, the rest agency responders
    spread evenly over the agencies; one API token each."""
    consoles = []
    with app_context(database):
        for index in range(clients):
            if index < supervisors:
                username, role, agency = f"push-supervisor-{index}", Role.SUPERVISOR, None
            else:
                agency = agencies[(index - supervisors) % len(agencies)]
                username, role = f"push-{agency.lower()}-{index}", Role.AGENCY
            issued = create_user(session=db.session, username=username, role=role, agency_code=agency)
            consoles.append(Console(index, username, issued.token, agency))
    return consoles


# --- Servers -------------------------------------------------------------------------------------


class PushServer(Server):
    """gunicorn on the benchmark database (1 worker, `threads` threads), with the commit clock in the worker."""

    def __init__(self, database: BenchDatabase, *, name: str, threads: int, env: dict[str, str]) -> None:
        self.name = name
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = database.workdir / f"gunicorn-{name}-{self.port}.log"
        self.commit_log = database.workdir / f"commits-{name}-{self.port}.tsv"
        command = [
            str(GUNICORN),
            "--config",
            str(HOOKS),
            "--workers",
            "1",
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--chdir",
            str(PROJECT_ROOT),
            "--no-control-socket",
            "--log-level",
            "warning",
            "--error-logfile",
            str(self.log_path),
            "wsgi:app",
        ]
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env={**os.environ, **database.server_env(), **env, "BENCH_PUSH_COMMIT_LOG": str(self.commit_log)},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def _log(self, kind: str) -> list[list[str]]:
        if not self.commit_log.exists():
            return []
        rows = (line.split("\t") for line in self.commit_log.read_text(encoding="utf-8").splitlines())
        return [row[1:] for row in rows if row[0] == kind]

    def commits(self) -> dict[str, float]:
        """When each case's transaction committed (time.time() in this server, right after COMMIT)."""
        return {case_no: float(moment) for case_no, moment in self._log("commit")}

    def pushes(self) -> dict[int, tuple[float, float]]:
        """When this server's feed began and finished handing each event to Socket.IO."""
        return {int(event_id): (float(start), float(end)) for event_id, start, end in self._log("push")}

    def spans(self, kind: str) -> list[tuple[float, float]]:
        """(start, end) of this server's feed polls ("poll") or counter pushes ("counters"), in order."""
        return sorted((float(start), float(end)) for start, end in self._log(kind))

    def gc_pauses(self) -> list[tuple[int, float, float]]:
        """(generation, start, seconds) of this server's garbage collections (see push_hooks)."""
        return [(int(generation), float(start), float(seconds)) for generation, start, seconds in self._log("gc")]

    def errors(self) -> list[str]:
        """Tracebacks and errors the server logged (gunicorn at level warning, the app's loggers)."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        return [line for line in text.splitlines() if "Traceback" in line or "ERROR" in line or "Error" in line]


# --- Client processes ----------------------------------------------------------------------------


class ClientProcess:
    """One `python -m bench.push_clients` process and what it prints."""

    def __init__(self, workdir: Path, number: int, clients: list[dict[str, Any]]) -> None:
        self.spec_path = workdir / f"clients-{number}.json"
        self.result_path = workdir / f"clients-{number}-result.json"
        self.spec_path.write_text(json.dumps({"clients": clients}), encoding="utf-8")
        self.indexes = [item["index"] for item in clients]
        self.stderr = (workdir / f"clients-{number}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.push_clients", str(self.spec_path), str(self.result_path)],
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        self.ready: tuple[int, int] | None = None
        self.count = 0
        self.done = threading.Event()
        self._reader = threading.Thread(target=self._read, name="push-clients-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            word, *rest = line.split()
            if word == "READY":
                self.ready = (int(rest[0]), int(rest[1]))
            elif word == "COUNT":
                self.count = int(rest[0])
        self.done.set()

    def wait_ready(self, timeout: float) -> tuple[int, int]:
        deadline = time.monotonic() + timeout
        while self.ready is None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"client process not ready (exit {self.process.poll()}); see {self.stderr.name}")
            time.sleep(0.05)
        return self.ready

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.process.pid)

    def stop(self) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write("STOP\n")
        self.process.stdin.flush()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.stderr.close()
        return dict(json.loads(self.result_path.read_text(encoding="utf-8")))

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


# --- The producer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Posted:
    agency: str
    case_no: str | None
    status: int
    sent: float  # time.time() before the request
    answered: float  # time.time() when the response was read
    lag: float  # seconds behind the fixed schedule at sending
    error: str = ""


async def _post_at_rate(base_url: str, token: str, plan: list[Planned], rate: float) -> list[Posted]:
    """Each case POSTed at its slot on a fixed schedule (open loop: a slow answer does not delay the next)."""
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "zh-TW"}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=60) as client:
        start = time.monotonic() + 0.05

        async def one(index: int, planned: Planned) -> Posted:
            due = start + index / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            lag = max(0.0, time.monotonic() - due)
            sent = time.time()
            try:
                response = await client.post("/api/v1/cases", json=planned.body)
            except httpx.HTTPError as exc:
                return Posted(planned.agency, None, 0, sent, time.time(), lag, repr(exc)[:300])
            answered = time.time()
            if response.status_code != 201:
                return Posted(planned.agency, None, response.status_code, sent, answered, lag, response.text[:300])
            return Posted(planned.agency, response.json()["case_no"], 201, sent, answered, lag)

        return list(await asyncio.gather(*(one(index, planned) for index, planned in enumerate(plan))))


def post_cases(base_url: str, token: str, plan: list[Planned], rate: float) -> list[Posted]:
    return asyncio.run(_post_at_rate(base_url, token, plan, rate))


# --- What the database says ----------------------------------------------------------------------


@dataclass(frozen=True)
class StoredEvent:
    id: int
    case_no: str
    event_type: str
    agency: str | None
    left_agency: str | None


def stored_events(database: BenchDatabase) -> tuple[list[StoredEvent], dict[str, str]]:
    """Every event in the (fresh) database, with the agencies that may see it: the truth to check against;
    and each case's agency now."""
    agency, left = aliased(Agency), aliased(Agency)
    engine = database.engine()
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(CaseEvent.id, Case.case_no, CaseEvent.event_type, agency.code, left.code)
                .join(Case, Case.id == CaseEvent.case_id)
                .outerjoin(agency, agency.id == CaseEvent.agency_id)
                .outerjoin(left, left.id == CaseEvent.left_agency_id)
                .order_by(CaseEvent.id)
            ).all()
            case_agencies = dict(
                connection.execute(select(Case.case_no, Agency.code).join(Agency, Agency.id == Case.agency_id)).all()
            )
    finally:
        engine.dispose()
    events = [StoredEvent(row[0], row[1], row[2], row[3], row[4]) for row in rows]
    return events, case_agencies


def expected_ids(console: Console, events: list[StoredEvent], after: int) -> set[int]:
    """The events a console should have been pushed: all for a supervisor, its agency's (and those of cases
    that left it) for a responder; only those after the watermark its `ready` gave."""
    return {
        event.id
        for event in events
        if event.id > after and (console.agency is None or console.agency in (event.agency, event.left_agency))
    }


# --- CPU, second by second ------------------------------------------------------------------------


def _scan() -> dict[int, tuple[str, float]]:
    """(command name, CPU seconds) of every process, from /proc."""
    result: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        result[int(entry.name)] = (
            stat[stat.index("(") + 1 : stat.rindex(")")],
            (int(fields[11]) + int(fields[12])) / TICKS,
        )
    return result


def _command_line(pid: int, fallback: str) -> str:
    try:
        text = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return fallback
    return text[:80] or fallback


class Timeline(threading.Thread):
    """Cores used each second by the servers, the client processes, this process, PostgreSQL, Redis and the rest
    of the machine (busy time from /proc/stat less all of those): to tell a slow push from a busy neighbour."""

    def __init__(
        self, servers: list[PushServer], clients: list[ClientProcess], database: str | None, interval: float = 1.0
    ) -> None:
        super().__init__(name="push-timeline", daemon=True)
        self.database = database  # PostgreSQL backends of other databases (a test suite's) count as others
        self._titles: dict[int, str] = {}
        self.groups = {
            "servers": {pid for server in servers for pid in (server.process.pid, *children(server.process.pid))},
            "clients": {client.process.pid for client in clients},
            "producer": {os.getpid()},
        }
        self.interval = interval
        self.samples: list[tuple[float, float, dict[int, tuple[str, float]]]] = []  # (time.time(), busy, scan)
        self._stop_event = threading.Event()
        self._sample()
        self.start()

    def _sample(self) -> None:
        self.samples.append((time.time(), system_busy_seconds(), _scan()))

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self._sample()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self._sample()

    def _group(self, pid: int, name: str) -> str:
        for group, pids in self.groups.items():
            if pid in pids:
                return group
        if name == "postgres":
            return "postgres" if self._ours_or_shared(pid) else "others"
        return "redis" if name.startswith("redis-server") else "others"

    def _ours_or_shared(self, pid: int) -> bool:
        """A backend of the benchmark's database, or a server process all databases share (checkpointer...)."""
        if pid not in self._titles:
            self._titles[pid] = _command_line(pid, "")
        words = self._titles[pid].split()[1:]  # after "postgres:"
        if words and words[0].endswith(":"):
            words = words[1:]  # the cluster's name, as Debian's clusters have it ("15/main:")
        # A backend's title: "postgres: [<cluster>:] <user> <database> <host>(<port>) <state>" (or [local]).
        is_backend = len(words) >= 3 and ("(" in words[2] or words[2] == "[local]")
        return not is_backend or words[1] == self.database

    def _used(self, first: int, last: int) -> dict[str, float]:
        _, busy_before, before = self.samples[first]
        _, busy_after, after = self.samples[last]
        used = dict.fromkeys((*self.groups, "postgres", "redis"), 0.0)
        for pid, (name, cpu) in after.items():
            group = self._group(pid, name)
            if group != "others":
                used[group] += cpu - before.get(pid, (name, 0.0))[1]
        used["other"] = max(0.0, busy_after - busy_before - sum(used.values()))
        return used

    def cores(self) -> dict[str, float]:
        """Over the whole watch, as cores."""
        wall = self.samples[-1][0] - self.samples[0][0]
        used = self._used(0, len(self.samples) - 1)
        return {key: round(value / wall, 2) for key, value in used.items()} | {"seconds": round(wall, 1)}

    def seconds(self) -> list[tuple[float, float, dict[str, float]]]:
        """(start, end, cores by group) of each interval."""
        return [
            (self.samples[i][0], self.samples[i + 1][0], self._used(i, i + 1)) for i in range(len(self.samples) - 1)
        ]

    def busiest_others(self, count: int = 5) -> list[tuple[str, float]]:
        """The other processes that used the most CPU over the watch (command lines), in cores."""
        _, _, before = self.samples[0]
        _, _, after = self.samples[-1]
        wall = self.samples[-1][0] - self.samples[0][0]
        used: dict[str, float] = defaultdict(float)
        for pid, (name, cpu) in after.items():
            if self._group(pid, name) == "others":
                used[_command_line(pid, name)] += cpu - before.get(pid, (name, 0.0))[1]
        ranked = sorted(used.items(), key=lambda item: -item[1])[:count]
        return [(command, round(cpu / wall, 2)) for command, cpu in ranked if cpu / wall >= 0.01]

"""Live pushes end to end: a case committed → its events at every console that may see them, over Socket.IO.

Per scenario, on a fresh database: `clients` consoles (agency responders spread over `agencies` agencies, and a
few supervisors) connect with python-socketio's AsyncClient (WebSocket, API token) from client processes of
their own (bench/push_clients.py); then cases routed to those agencies are POSTed to /api/v1/cases at `rate`
per second for `seconds` from this process, on a fixed schedule. Latency runs from the COMMIT of a case's
transaction, clocked in the server process right after it (bench/push_hooks.py), to the arrival of each of its
events at each console (time.time() in the client's handler); both clocks are the machine's one wall clock.
What each console should have received is read back from case_events (the event's agency and the agency it
left; every event for a supervisor): missing, duplicated and unexpected events are counted per console.

Scenarios: `sqlite` and `postgresql`, one gunicorn web process serving both the consoles and the POSTs (the
commit wakes the feed in-process); `postgresql+redis`, two web processes with the consoles split between them
and a third gunicorn process taking the POSTs, so every push waits for a wake-up through Redis.
"""

from __future__ import annotations

import bisect
import math
import os
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import redis
from sqlalchemy.engine import make_url

from bench.database import create_agent, load_reference, make_database, server_version
from bench.measure import HEAD_EXPORT_ENV, code_version, latency_ms, machine, percentile, system_busy_seconds
from bench.push_parts import (
    ClientProcess,
    Console,
    Posted,
    PushServer,
    StoredEvent,
    Timeline,
    case_plan,
    choose_routes,
    create_consoles,
    expected_ids,
    post_cases,
    stored_events,
)
from bench.report import _read, _write_atomically
from config.settings import PROJECT_ROOT

CODE_AT_IMPORT = code_version()
TARGET_P99_MS = 100.0
QUIET_CORES = 0.25  # a second in which the rest of the machine used less than this is "quiet"


@dataclass(frozen=True)
class Scenario:
    name: str
    kind: str  # database backend
    web_processes: int
    redis: bool  # Redis for Socket.IO and the wake-ups; the cases then go through a process of their own


SCENARIOS = {
    "sqlite": Scenario("sqlite", "sqlite", 1, redis=False),
    "postgresql": Scenario("postgresql", "postgresql", 1, redis=False),
    "postgresql+redis": Scenario("postgresql+redis", "postgresql", 2, redis=True),
}


@dataclass(frozen=True)
class PushOptions:
    clients: int = 500
    agencies: int = 40
    supervisors: int = 4
    rate: float = 20.0  # cases per second
    seconds: float = 60.0
    warmup: int = 20  # cases before the measured ones: not timed, but checked for missing and duplicates
    client_processes: int = 1
    threads: int = 600  # gunicorn threads per web process: each WebSocket holds one
    settle_timeout: float = 15.0  # seconds after the last case for the last pushes to arrive
    redis_url: str = "redis://127.0.0.1:6379/0"
    seed: int = 1999

    @property
    def cases(self) -> int:
        return max(1, round(self.rate * self.seconds))


def check_redis(url: str) -> None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        raise SystemExit(f"Redis is not reachable at {url}: {exc}\nRun without the postgresql+redis scenario.") from exc


def _redis_version(url: str) -> str:
    info: dict[str, Any] = redis.Redis.from_url(url, socket_connect_timeout=2).info("server")
    return str(info.get("redis_version"))


# --- Figures -------------------------------------------------------------------------------------


def _who(console: Console) -> str:
    return console.agency or "supervisor"


def analyse(
    consoles: list[Console],
    results: dict[int, dict[str, Any]],
    events: list[StoredEvent],
    commits: dict[str, float],
    measured: list[Posted],
    timeline: Timeline,
) -> dict[str, Any]:
    """Latency over every (console, event) pair of the measured cases; missing/duplicated over every event."""
    case_of = {event.id: event.case_no for event in events}
    measured_cases = {posted.case_no for posted in measured if posted.case_no}
    pairs: list[float] = []
    per_client: list[tuple[float, Console]] = []
    first_arrival: dict[int, float] = {}
    last_arrival: dict[int, float] = {}
    timed: list[tuple[float, float]] = []  # (commit time, latency) of every pair
    totals = {"missing": 0, "duplicated": 0, "unexpected": 0, "late_flagged": 0, "reloads": 0, "disconnects": 0}
    offenders: list[dict[str, Any]] = []
    failed = 0
    for console in consoles:
        result = results.get(console.index, {})
        ready = result.get("ready")
        if ready is None:
            failed += 1
        after = int(ready["last_event_id"]) if ready else 0
        expected = expected_ids(console, events, after)
        arrivals: dict[int, float] = {}
        duplicated = 0
        for event_id, moment in result.get("events", []):
            if event_id in arrivals:
                duplicated += 1
            else:
                arrivals[event_id] = moment
        missing = len(expected - arrivals.keys())
        unexpected = len(arrivals.keys() - expected)
        totals["missing"] += missing
        totals["duplicated"] += duplicated
        totals["unexpected"] += unexpected
        totals["late_flagged"] += len(result.get("late", []))
        totals["reloads"] += len(result.get("reloads", []))
        totals["disconnects"] += int(result.get("disconnects", 0))
        if missing or duplicated or unexpected or ready is None:
            offenders.append(
                {
                    "console": console.index,
                    "audience": _who(console),
                    "expected": len(expected),
                    "received": len(result.get("events", [])),
                    "missing": missing,
                    "duplicated": duplicated,
                    "unexpected": unexpected,
                    "error": result.get("error"),
                }
            )
        mine = []
        for event_id in expected & arrivals.keys():
            case_no = case_of[event_id]
            if case_no not in measured_cases or case_no not in commits:
                continue
            moment = arrivals[event_id]
            seconds = moment - commits[case_no]
            mine.append(seconds)
            first_arrival[event_id] = min(first_arrival.get(event_id, math.inf), moment)
            last_arrival[event_id] = max(last_arrival.get(event_id, -math.inf), moment)
            timed.append((commits[case_no], seconds))
        pairs += mine
        if mine:
            per_client.append((percentile(mine, 0.99), console))
    client_p99 = sorted(value for value, _ in per_client)
    worst = max(per_client, key=lambda item: item[0], default=None)
    first = [first_arrival[event_id] - commits[case_of[event_id]] for event_id in first_arrival]
    spread = [last_arrival[event_id] - first_arrival[event_id] for event_id in first_arrival]
    return {
        "pairs": len(pairs),
        "events_measured": len(first_arrival),
        "latency": latency_ms(pairs),
        "per_client_p99": {
            "clients": len(client_p99),
            "median_ms": round(statistics.median(client_p99) * 1000, 1) if client_p99 else None,
            "p90_ms": round(percentile(client_p99, 0.9) * 1000, 1) if client_p99 else None,
            "worst_ms": round(worst[0] * 1000, 1) if worst else None,
            "worst_client": f"#{worst[1].index} ({_who(worst[1])})" if worst else None,
        },
        "first_console": latency_ms(first),
        "fan_out_spread": latency_ms(spread),
        **by_second(timed, timeline),
        "checks": totals | {"connect_failures": failed, "consoles_with_problems": len(offenders)},
        "offenders": offenders[:20],
    }


def by_second(timed: list[tuple[float, float]], timeline: Timeline) -> dict[str, Any]:
    """Latency against what the machine was doing: per 10 s window, p99 and the cores others used; and p99 over
    the pairs committed in quiet seconds (others below QUIET_CORES in that second and the next)."""
    intervals = timeline.seconds()
    starts = [start for start, _end, _used in intervals]
    other = [used["other"] / (end - start) for start, end, used in intervals]
    servers = [used["servers"] / (end - start) for start, end, used in intervals]
    begin = starts[0] if starts else 0.0
    windows: dict[int, list[float]] = {}
    quiet: list[float] = []
    for committed, seconds in timed:
        windows.setdefault(int((committed - begin) // 10), []).append(seconds)
        index = bisect.bisect_right(starts, committed) - 1
        if 0 <= index < len(intervals) and max(other[index : index + 2]) < QUIET_CORES:
            quiet.append(seconds)
    quiet_seconds = sum(1 for index in range(len(other)) if max(other[index : index + 2]) < QUIET_CORES)

    def mean(values: list[float]) -> float:
        return round(statistics.fmean(values), 2) if values else 0.0

    return {
        "by_10s_window": [
            {
                "window": f"{window * 10}-{window * 10 + 10}s",
                "p99_ms": round(percentile(values, 0.99) * 1000, 1),
                "other_cores": mean(other[window * 10 : window * 10 + 10]),
                "server_cores": mean(servers[window * 10 : window * 10 + 10]),
            }
            for window, values in sorted(windows.items())
        ],
        "quiet_seconds": {
            "threshold_other_cores": QUIET_CORES,
            "seconds": quiet_seconds,
            "of": len(other),
            "latency": latency_ms(quiet),
        },
        "other_cores_per_second": [round(value, 2) for value in other],
        "server_cores_per_second": [round(value, 2) for value in servers],
    }


def decompose(
    consoles: list[Console],
    results: dict[int, dict[str, Any]],
    events: list[StoredEvent],
    commits: dict[str, float],
    measured: list[Posted],
    web: list[PushServer],
) -> dict[str, Any]:
    """Each (console, event) pair's latency in three parts, from the probes in its web process (push_hooks):
    commit → its feed starts pushing the event (wake-up, Redis, the feed's read), the push itself (shaping the
    messages, handing them to Socket.IO), and push → arrival (Socket.IO's writer threads, the socket, the
    client). And the web processes' garbage-collector pauses, against the pairs they overlap."""
    case_of = {event.id: event.case_no for event in events}
    measured_cases = {posted.case_no for posted in measured if posted.case_no}
    pushes = [server.pushes() for server in web]
    pauses = [[(began, began + seconds, gen, seconds) for gen, began, seconds in server.gc_pauses()] for server in web]
    start = min((commits[c] for c in measured_cases if c in commits), default=0.0)
    # the measured cases' window: their first commit to the last arrival (not the connects, not the shutdown)
    stop = max((moment for result in results.values() for _id, moment in result.get("events", [])), default=start)
    polls = [server.spans("poll") for server in web]
    poll_starts = [[began for began, _end in server] for server in polls]
    counters = [end - began for server in web for began, end in server.spans("counters") if start <= began <= stop]
    to_feed: list[float] = []
    to_poll: list[float] = []  # commit → start of the poll that pushed the event
    poll_to_push: list[float] = []  # that poll's start → the event's push
    in_feed: list[float] = []
    to_console: list[float] = []
    clear: list[float] = []  # pairs with no pause ≥ 10 ms of their web process between commit and arrival
    overlapped = 0
    for console in consoles:
        server = console.index % len(web)
        seen: set[int] = set()
        for event_id, arrived in results.get(console.index, {}).get("events", []):
            case_no = case_of.get(event_id)
            if event_id in seen or case_no not in measured_cases or case_no not in commits:
                continue
            seen.add(event_id)
            committed = commits[case_no]
            pushed = pushes[server].get(event_id)
            if pushed is not None:
                to_feed.append(pushed[0] - committed)
                index = bisect.bisect_right(poll_starts[server], pushed[0]) - 1
                if index >= 0 and polls[server][index][1] >= pushed[0]:
                    to_poll.append(polls[server][index][0] - committed)
                    poll_to_push.append(pushed[0] - polls[server][index][0])
                in_feed.append(pushed[1] - pushed[0])
                to_console.append(arrived - pushed[1])
            if any(b > committed and a < arrived and s >= 0.01 for a, b, _g, s in pauses[server]):
                overlapped += 1
            else:
                clear.append(arrived - committed)
    during = [pause for server in pauses for pause in server if start <= pause[0] <= stop]
    by_generation = {
        str(gen): {
            "count": len([p for p in during if p[2] == gen]),
            "max_ms": round(max((p[3] for p in during if p[2] == gen), default=0.0) * 1000, 1),
            "total_ms": round(sum(p[3] for p in during if p[2] == gen) * 1000, 1),
        }
        for gen in (0, 1, 2)
    }
    return {
        "parts": {
            "commit_to_feed": latency_ms(to_feed),
            "commit_to_poll": latency_ms(to_poll),
            "poll_to_push": latency_ms(poll_to_push),
            "feed_push": latency_ms(in_feed),
            "push_to_console": latency_ms(to_console),
        },
        "feed_loop": {
            "polls": sum(len(server) for server in polls),
            "poll": latency_ms([end - began for server in polls for began, end in server if start <= began <= stop]),
            "counters": latency_ms(counters),
        },
        "gc": {
            "web_processes": len(web),
            "pauses_by_generation": by_generation,
            "pairs_overlapping_a_pause_of_10ms_or_more": overlapped,
            "latency_of_the_other_pairs": latency_ms(clear),
        },
    }


def commit_order(events: list[StoredEvent], commits: dict[str, float], measured: list[Posted]) -> dict[str, Any]:
    """Ids are handed out at INSERT, the feed pushes in id order: a case committed before one holding lower
    ids waits for it (app/realtime/feed.py, GAP_HOLD). How many measured cases did, and how long."""
    first_id: dict[str, int] = {}
    for event in events:
        first_id.setdefault(event.case_no, event.id)
    measured_cases = {posted.case_no for posted in measured if posted.case_no}
    ordered = sorted((first_id[case_no], commits[case_no], case_no) for case_no in first_id if case_no in commits)
    waits: list[float] = []
    latest = -math.inf
    for _id, committed, case_no in ordered:
        if case_no in measured_cases and latest > committed:
            waits.append(latest - committed)
        latest = max(latest, committed)
    return {"cases_committed_before_lower_ids": len(waits), "wait_for_lower_ids": latency_ms(waits)}


def _intake(measured: list[Posted], rate: float, commits: dict[str, float]) -> dict[str, Any]:
    ok = [posted for posted in measured if posted.status == 201]
    span = max(p.answered for p in measured) - min(p.sent for p in measured) if measured else 0.0
    errors = [f"{p.status}: {p.error}" for p in measured if p.status != 201]
    return {
        "cases": len(measured),
        "target_per_s": rate,
        "achieved_per_s": round(len(ok) / span, 1) if span else None,
        "non_201": len(measured) - len(ok),
        "non_201_examples": errors[:5],
        "post": latency_ms([p.answered - p.sent for p in ok]),
        "max_behind_schedule_ms": round(max((p.lag for p in measured), default=0.0) * 1000, 1),
        # How long after the commit the producer had its answer: what a latency taken there would leave out.
        "commit_to_response": latency_ms([p.answered - commits[p.case_no] for p in ok if p.case_no in commits]),
        "cases_without_commit_time": len([p for p in ok if p.case_no not in commits]),
    }


def _client_health(documents: list[dict[str, Any]], wall: float) -> dict[str, Any]:
    lags = [lag for document in documents for lag in document["loop_lag"]]
    return {
        "processes": len(documents),
        "connect_seconds": round(max(document["connect_seconds"] for document in documents), 1),
        "cpu_cores": round(sum(document["cpu_seconds"] for document in documents) / wall, 2) if wall else None,
        "loop_lag_p99_ms": round(percentile(lags, 0.99) * 1000, 1) if lags else None,
        "loop_lag_max_ms": round(max(lags) * 1000, 1) if lags else None,
    }


# --- One scenario --------------------------------------------------------------------------------


def _wait_for_pushes(processes: list[ClientProcess], expected: list[int], timeout: float) -> float:
    started = time.monotonic()
    while any(process.count < want for process, want in zip(processes, expected, strict=True)):
        if time.monotonic() - started > timeout:
            break
        time.sleep(0.05)
    return time.monotonic() - started


def run_scenario(scenario: Scenario, workdir: Path, options: PushOptions, pg_url: str) -> dict[str, Any]:
    name = scenario.name
    print(f"  [{name}] migrate + seed, {options.clients} console users, 1 agent", flush=True)
    database = make_database(scenario.kind, workdir, pg_url)
    _agent_id, agent_token = create_agent(database)
    engine = database.engine()
    try:
        routes = choose_routes(load_reference(engine), options.agencies)
    finally:
        engine.dispose()
    consoles = create_consoles(database, routes.agencies, options.clients, options.supervisors)
    plan = case_plan(routes, options.warmup + options.cases, options.seed)
    env = {
        "HOTLINE_SOCKET_CONNECT_BURST": str(max(60, options.clients * 2)),
        "HOTLINE_SOCKET_CONNECTS_PER_SECOND": str(max(5, options.clients * 2)),
    }
    if scenario.redis:
        env |= {"REDIS_URL": options.redis_url, "HOTLINE_SOCKETIO_CHANNEL": f"hotline_bench_push_{os.getpid()}"}
    web = [
        PushServer(database, name=f"web{number + 1}", threads=options.threads, env=env)
        for number in range(scenario.web_processes)
    ]
    committer = PushServer(database, name="commit", threads=16, env=env) if scenario.redis else web[0]
    servers = web + ([committer] if committer not in web else [])
    processes: list[ClientProcess] = []
    try:
        for server in servers:
            server.wait_ready()
        shares: list[list[dict[str, Any]]] = [[] for _ in range(options.client_processes)]
        for console in consoles:
            url = web[console.index % len(web)].base_url
            shares[console.index % options.client_processes].append(
                {"index": console.index, "url": url, "token": console.token}
            )
        processes = [ClientProcess(workdir, number, share) for number, share in enumerate(shares) if share]
        ready = [process.wait_ready(timeout=180) for process in processes]
        connected, failed = sum(r[0] for r in ready), sum(r[1] for r in ready)
        print(
            f"  [{name}] {connected} consoles connected ({failed} failed); {options.warmup} warm-up cases", flush=True
        )
        post_cases(committer.base_url, agent_token, plan[: options.warmup], options.rate)
        load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
        busy = system_busy_seconds()
        time.sleep(1.0)  # the warm-up's pushes arrive; meanwhile, how busy is the machine with the consoles idle
        busy_before = round(system_busy_seconds() - busy, 2)
        print(
            f"  [{name}] {options.cases} cases at {options.rate:g}/s over {len(routes.agencies)} agencies "
            f"→ {committer.name}",
            flush=True,
        )
        pg_name = make_url(database.url).database if scenario.kind == "postgresql" else None
        timeline = Timeline(servers, processes, pg_name)
        measured = post_cases(committer.base_url, agent_token, plan[options.warmup :], options.rate)
        timeline.stop()
        cores = timeline.cores()
        events, case_agencies = stored_events(database)
        by_index = {console.index: console for console in consoles}
        want = [sum(len(expected_ids(by_index[i], events, 0)) for i in process.indexes) for process in processes]
        settled = _wait_for_pushes(processes, want, options.settle_timeout)
        time.sleep(0.5)  # a duplicate would come now
        documents = [process.stop() for process in processes]
    finally:
        for process in processes:
            process.kill()
        for server in servers:
            server.stop()
    commits: dict[str, float] = {}
    for server in servers:
        commits |= server.commits()
    results = {client["index"]: client for document in documents for client in document["clients"]}
    analysis = analyse(consoles, results, events, commits, measured, timeline)
    analysis |= decompose(consoles, results, events, commits, measured, web)
    routed_elsewhere = len([p for p in measured if p.case_no and case_agencies.get(p.case_no) != p.agency])
    wall = min(document["wall_seconds"] for document in documents)
    server_errors = [line for server in servers for line in server.errors()]
    entry = {
        "backend": name,
        "database": server_version(database),
        "redis": _redis_version(options.redis_url) if scenario.redis else None,
        "code_at_start": CODE_AT_IMPORT,
        "served": os.environ.get(HEAD_EXPORT_ENV) or f"working tree {PROJECT_ROOT}",
        "servers": _servers(scenario, options),
        "options": asdict(options),
        "consoles": {
            "total": len(consoles),
            "connected": connected,
            "agencies": len(routes.agencies),
            "agencies_by_dispatch_categories": routes.by_dispatch,
            "responders": len([c for c in consoles if c.agency]),
            "supervisors": len([c for c in consoles if c.agency is None]),
            "per_web_process": [len([c for c in consoles if c.index % len(web) == n]) for n in range(len(web))],
        },
        "intake": _intake(measured, options.rate, commits) | {"routed_elsewhere": routed_elsewhere},
        "events_stored": len(events),
        "events_per_case": round(len(events) / max(1, len({e.case_no for e in events})), 2),
        **analysis,
        "commit_order": commit_order(events, commits, measured),
        "settled_after_last_case_s": round(settled, 2),
        "client_processes": _client_health(documents, wall),
        "cores": cores,
        "busiest_other_processes": timeline.busiest_others(),
        "load_average_before": load,
        "cores_busy_before": busy_before,
        "server_errors": server_errors[:10],
        "target_p99_ms": TARGET_P99_MS,
        "target_met": bool(analysis["latency"].get("p99_ms", math.inf) <= TARGET_P99_MS),
        "method": METHOD,
    }
    _print(entry)
    return entry


def _servers(scenario: Scenario, options: PushOptions) -> str:
    web = f"{scenario.web_processes} web process{'es' if scenario.web_processes > 1 else ''}"
    shape = f"gunicorn 1 worker × {options.threads} threads each"
    if scenario.redis:
        return f"{web} + 1 committing process (16 threads), {shape}; Redis"
    return f"{web}, {shape}"


def _pair(latency: dict[str, Any]) -> str:
    return f"{latency.get('p50_ms', '–')} / {latency.get('p99_ms', '–')}"


def _print(entry: dict[str, Any]) -> None:
    name, latency, checks = entry["backend"], entry["latency"], entry["checks"]
    intake, per_client, health = entry["intake"], entry["per_client_p99"], entry["client_processes"]
    print(
        f"  [{name}] {intake['cases']} cases at {intake['achieved_per_s']}/s (non-201: {intake['non_201']}), "
        f"{entry['events_measured']} events → {entry['pairs']:,} (console, event) pairs",
        flush=True,
    )
    print(
        f"  [{name}] commit → console: p50 {latency.get('p50_ms')} / p95 {latency.get('p95_ms')} / "
        f"p99 {latency.get('p99_ms')} / max {latency.get('max_ms')} ms; per-console p99: median "
        f"{per_client['median_ms']} ms, worst {per_client['worst_ms']} ms {per_client['worst_client']}; "
        f"p99 ≤ {TARGET_P99_MS:g} ms: {'yes' if entry['target_met'] else 'NO'}",
        flush=True,
    )
    print(
        f"  [{name}] missing {checks['missing']}, duplicated {checks['duplicated']}, unexpected "
        f"{checks['unexpected']} (consoles with any: {checks['consoles_with_problems']}); connect failures "
        f"{checks['connect_failures']}, late-flagged {checks['late_flagged']}, reloads {checks['reloads']}, "
        f"disconnects {checks['disconnects']}",
        flush=True,
    )
    print(
        f"  [{name}] first console p50 {entry['first_console'].get('p50_ms')} / p99 "
        f"{entry['first_console'].get('p99_ms')} ms; fan-out spread p99 {entry['fan_out_spread'].get('p99_ms')} ms; "
        f"client loop lag p99 {health['loop_lag_p99_ms']} / max {health['loop_lag_max_ms']} ms; cores {entry['cores']}",
        flush=True,
    )
    order = entry["commit_order"]
    print(
        f"  [{name}] cases committed before lower ids: {order['cases_committed_before_lower_ids']} (wait p99 "
        f"{order['wait_for_lower_ids'].get('p99_ms', '–')} ms); machine busy before: {entry['cores_busy_before']} "
        f"cores, load {entry['load_average_before']}",
        flush=True,
    )
    quiet = entry["quiet_seconds"]
    windows = ", ".join(f"{w['p99_ms']:g} ({w['other_cores']:g})" for w in entry["by_10s_window"])
    print(
        f"  [{name}] p99 per 10 s window, ms (cores used by others): {windows}; in the {quiet['seconds']} of "
        f"{quiet['of']} seconds when others used < {quiet['threshold_other_cores']:g} cores: p50 "
        f"{quiet['latency'].get('p50_ms')} / p99 {quiet['latency'].get('p99_ms')} / max "
        f"{quiet['latency'].get('max_ms')} ms; busiest others: {entry['busiest_other_processes'][:3]}",
        flush=True,
    )
    parts, gc = entry["parts"], entry["gc"]
    print(
        f"  [{name}] parts p50 / p99 ms: commit → feed {_pair(parts['commit_to_feed'])} (commit → the poll that "
        f"pushed it {_pair(parts.get('commit_to_poll', {}))}, its start → the push "
        f"{_pair(parts.get('poll_to_push', {}))}), feed push {_pair(parts['feed_push'])}, push → console "
        f"{_pair(parts['push_to_console'])}; feed polls {_pair(entry['feed_loop']['poll'])}, counter pushes "
        f"{_pair(entry['feed_loop']['counters'])}; gc pauses "
        f"{gc['pauses_by_generation']}; pairs overlapping a pause ≥ 10 ms: "
        f"{gc['pairs_overlapping_a_pause_of_10ms_or_more']}, the others' p99 "
        f"{gc['latency_of_the_other_pairs'].get('p99_ms')} ms",
        flush=True,
    )
    for offender in entry["offenders"][:5]:
        print(f"  [{name}] console with a problem: {offender}", flush=True)
    if entry["server_errors"]:
        print(f"  [{name}] server log errors: {entry['server_errors'][:3]}", flush=True)


def run_push_latency(scenario: Scenario, workdir: Path, options: PushOptions, pg_url: str) -> dict[str, Any]:
    if scenario.redis:
        check_redis(options.redis_url)
    return run_scenario(scenario, workdir, options, pg_url)


METHOD = [
    "a fresh database per scenario (migrations + seed); console users and their API tokens made through "
    "app.users.service.create_user; responders spread evenly over the agencies, plus a few supervisors",
    "agencies: those the routing rules reach with dispatch categories, then (to make up the number) with "
    "petition/supervision ones; each case a (category, district) pair routed to its agency, the agencies taken "
    "in a shuffled round; POST /api/v1/cases (open_case: routed at intake, so case_created + case_assigned)",
    "consoles: python-socketio AsyncClient, WebSocket transport, auth {token}, all in one asyncio loop per client "
    "process; all connected (ready) before the first case; in the two-process scenario, alternate consoles on "
    "each web process",
    "latency: commit clocked by a SQLAlchemy after_commit listener in the committing server process "
    "(bench/push_hooks.py, run before the app's own wake-up) → time.time() first thing in the client's event "
    "handler; over every (console, event) pair of the measured cases, p50/p95/p99 nearest rank; per-console p99 "
    "over each console's own pairs",
    "first console: commit → the earliest arrival of each event at any console (the feed's read and first "
    "emit); fan-out spread: earliest → latest arrival of the same event",
    "checks over every case (warm-up included): an event missing at a console that may see it, one arriving "
    "twice, one arriving at a console that may not see it",
    "everything runs on the same 2-core machine: PostgreSQL, Redis, the gunicorn processes, the client "
    "process(es) and this producer; cores used by each during the measured cases are in the table; 'other' is "
    "the rest of the machine's busy time (other programs, and kernel time not charged to a process, such as "
    "loopback traffic); 'busy before' is the whole machine's use in the second before, consoles idle",
    f"quiet seconds: p99 over the pairs whose case was committed in a second when the rest of the machine "
    f"(neither the benchmark's processes nor PostgreSQL/Redis) used < {QUIET_CORES:g} cores, that second and the "
    "next; shown because the machine is shared: the overall figures are the result, this one tells the "
    "system's own share from a neighbour's",
    "parts: commit → the feed of the console's web process starts pushing the event (EventFeed._push, probed), "
    "the push (shaping the messages, handing them to Socket.IO), and push → arrival; GC pauses: wall time from "
    "start to end of each collection in the web processes (gc.callbacks; finalizers run inside it count too)",
    "committed before lower ids: cases whose transaction committed while one holding lower event ids was still "
    "open (PostgreSQL hands ids out at INSERT); the feed pushes in id order, so these wait for it",
]


# --- Markdown --------------------------------------------------------------------------------------


def _ms(value: Any) -> str:
    return "–" if value is None else f"{value:,.1f}"


def markdown_section(results_dir: Path, heading: str = "##") -> list[str]:
    results = _read(results_dir / "push_latency.json").get("results", {})
    if not results:
        return []
    commands = sorted({entry["command"] for entry in results.values() if entry.get("command")})
    lines = [
        f"{heading} Live pushes: case committed → event at each console (Socket.IO), target p99 ≤ {TARGET_P99_MS:g} ms",
        "",
        *(f"Command: `{command}`" for command in commands),
        "",
        "| scenario | servers | consoles (agencies + supervisors) | cases at /s | events | pairs | p50 ms "
        "| p95 ms | p99 ms | max ms | per-console p99: median / worst ms | missing | duplicated | p99 ≤ 100 ms "
        "| cores: servers / clients / producer / postgres / redis / other | quiet seconds: p99 ms (seconds) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|---|---|",
    ]
    for name, entry in results.items():
        latency, checks, cores = entry["latency"], entry["checks"], entry["cores"]
        consoles, per_client, quiet = entry["consoles"], entry["per_client_p99"], entry["quiet_seconds"]
        cores_cell = " / ".join(
            str(cores.get(key, "–")) for key in ("servers", "clients", "producer", "postgres", "redis", "other")
        )
        lines.append(
            f"| {name} | {entry['servers']} | {consoles['connected']} of {consoles['total']} "
            f"({consoles['responders']} in {consoles['agencies']} + {consoles['supervisors']}) "
            f"| {entry['intake']['cases']:,} at {entry['intake']['achieved_per_s']} | {entry['events_measured']:,} "
            f"| {entry['pairs']:,} | {_ms(latency.get('p50_ms'))} | {_ms(latency.get('p95_ms'))} "
            f"| {_ms(latency.get('p99_ms'))} | {_ms(latency.get('max_ms'))} "
            f"| {_ms(per_client['median_ms'])} / {_ms(per_client['worst_ms'])} | {checks['missing']} "
            f"| {checks['duplicated']} | {'yes' if entry['target_met'] else '**no**'} | {cores_cell} "
            f"| {_ms(quiet['latency'].get('p99_ms'))} ({quiet['seconds']} of {quiet['of']}) |"
        )
    lines += [
        "",
        "| scenario | first console p50 / p99 ms | fan-out spread p50 / p99 ms | commit → POST answered p50 ms "
        "| unexpected | late-flagged | reloads | disconnects | client loop lag p99 / max ms | client connect s "
        "| committed before lower ids: cases, wait p99 ms | busy before, cores "
        "| p99 ms (others' cores) per 10 s window |",
        "|---|---|---|---:|---:|---:|---:|---:|---|---:|---|---:|---|",
    ]
    for name, entry in results.items():
        checks, health = entry["checks"], entry["client_processes"]
        first, spread, order = entry["first_console"], entry["fan_out_spread"], entry["commit_order"]
        windows = ", ".join(f"{w['p99_ms']:g} ({w['other_cores']:g})" for w in entry["by_10s_window"])
        lines.append(
            f"| {name} | {_ms(first.get('p50_ms'))} / {_ms(first.get('p99_ms'))} "
            f"| {_ms(spread.get('p50_ms'))} / {_ms(spread.get('p99_ms'))} "
            f"| {_ms(entry['intake']['commit_to_response'].get('p50_ms'))} | {checks['unexpected']} "
            f"| {checks['late_flagged']} | {checks['reloads']} | {checks['disconnects']} "
            f"| {_ms(health['loop_lag_p99_ms'])} / {_ms(health['loop_lag_max_ms'])} | {health['connect_seconds']} "
            f"| {order['cases_committed_before_lower_ids']}, {_ms(order['wait_for_lower_ids'].get('p99_ms'))} "
            f"| {entry['cores_busy_before']} | {windows} |"
        )
    lines += [
        "",
        "Where the time goes (probes in the web processes, bench/push_hooks.py), p50 / p99 ms over the pairs; "
        "garbage-collector pauses of the web processes during the measured cases:",
        "",
        "| scenario | commit → feed pushes | of which: commit → the poll that pushed it | that poll's start → "
        "the push | feed push | push → console | a feed poll | a counter push | GC gen 0 / 1 / 2: count, max ms "
        "| pairs overlapping a GC pause ≥ 10 ms | p99 of the other pairs ms |",
        "|---|---|---|---|---|---|---|---|---|---:|---:|",
    ]
    for name, entry in results.items():
        parts, gc, loop = entry.get("parts"), entry.get("gc"), entry.get("feed_loop", {})
        if not parts or not gc:
            continue
        pauses = " / ".join(
            f"{figures['count']}, {figures['max_ms']:g}" for figures in gc["pauses_by_generation"].values()
        )
        lines.append(
            f"| {name} | {_pair(parts['commit_to_feed'])} | {_pair(parts.get('commit_to_poll', {}))} "
            f"| {_pair(parts.get('poll_to_push', {}))} | {_pair(parts['feed_push'])} "
            f"| {_pair(parts['push_to_console'])} | {_pair(loop.get('poll', {}))} | {_pair(loop.get('counters', {}))} "
            f"| {pauses} | {gc['pairs_overlapping_a_pause_of_10ms_or_more']:,} "
            f"| {_ms(gc['latency_of_the_other_pairs'].get('p99_ms'))} |"
        )
    some = next(iter(results.values()))
    lines += ["", *(f"- {line}" for line in some["method"]), ""]
    return lines


def _machine_notes(facts: dict[str, Any], results: dict[str, Any]) -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8") if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "?")
    meminfo = Path("/proc/meminfo").read_text(encoding="utf-8") if Path("/proc/meminfo").exists() else ""
    memory = next((line.split()[1] for line in meminfo.splitlines() if line.startswith("MemTotal")), "0")
    databases = sorted({entry["database"] for entry in results.values()})
    redis_versions = sorted({entry["redis"] for entry in results.values() if entry.get("redis")})
    return [
        f"Machine: {facts.get('cpus')} CPUs ({model}), {int(memory) // 1024:,} MB, Python {facts.get('python')}, "
        f"{facts.get('platform')}; {', '.join(databases)}; Redis {', '.join(redis_versions) or '–'}. Everything "
        "shares the 2 cores: PostgreSQL, Redis, the gunicorn processes, the client process, the producer, and "
        "whatever else runs on the machine (the `busy before` and `other` columns say how much that was).",
        "",
    ]


def write_markdown(results_dir: Path) -> Path:
    document = _read(results_dir / "push_latency.json")
    facts = document.get("machine", machine())
    lines = [
        "# Benchmark: live pushes (Socket.IO), commit → console",
        "",
        *_machine_notes(facts, document.get("results", {})),
        *markdown_section(results_dir),
    ]
    for name, entry in document.get("results", {}).items():
        lines += [
            f"## {name}: {entry['database']}",
            "",
            f"- served: {entry['served']}; code {entry['code_at_start']}; measured {entry.get('measured_at')}",
            f"- consoles per web process: {entry['consoles']['per_web_process']}; agencies reached by dispatch "
            f"categories: {entry['consoles']['agencies_by_dispatch_categories']} of {entry['consoles']['agencies']}",
            f"- intake: {entry['intake']}",
            f"- checks: {entry['checks']}",
            f"- consoles with problems (first 20): {entry['offenders'] or 'none'}",
            f"- client processes: {entry['client_processes']}",
            f"- busiest other processes during the measured cases (cores): {entry['busiest_other_processes']}",
            f"- cores used by others, second by second: {entry['other_cores_per_second']}",
            f"- cores used by the web process(es), second by second: {entry['server_cores_per_second']}",
            f"- server log errors: {entry['server_errors'] or 'none'}",
            "",
        ]
    path = results_dir / "push-latency.md"
    _write_atomically(path, "\n".join(lines))
    return path

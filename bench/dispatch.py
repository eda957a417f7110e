"""Dispatch alerts end to end: cases committed through the real intake service, their SMS sent by the real
outbox sender through the real Twilio SDK to the local fake Twilio (tests/fake_twilio.py), on a fresh
database per backend; run_dispatch is what `python -m bench dispatch` calls per backend.

Phases, one database, one app (one pool) for all, a fresh fake Twilio per phase:

1. live, sender polling: 1,000 dispatches opened at 20/s while 2 sender threads run send_due back to back
   (50 ms sleep after a pass that claimed nothing): commit → SMS arrival latency at the fake;
2. live, 1 s ticks: fewer dispatches at the same rate, 1 sender with a pass every second on a fixed schedule,
   as the worker's APScheduler job `outbox-sender` runs it;
3. drain: 1,000 dispatches opened first with no sender, then timed until the senders have delivered them all
   (1 sender, then 2): throughput;
4. 20 % failures: as 1, with the fake answering 20 % of requests with HTTP 500. Retries that fall due while
   the cases are being opened go out in real time; the rest are drained afterwards on a simulated clock
   (send_due(now=real now + offset), the offset jumping to the next retry's next_attempt_at when nothing is
   due), and their latency is real time elapsed plus the time skipped. Checks: everything delivered, nothing
   twice; the attempts each SMS took; latency of first tries and of retried sends.

Only the sender runs: no SLA sweep and no alert ladder (so no voice calls); console alerts come from the live feed.
The producer, the senders and the fake Twilio are threads of this one process.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from app.access import Actor
from app.alerting.outbox import BACKOFF_BASE, MAX_ATTEMPTS
from app.db import db
from app.vocabulary import Role
from bench.database import app_context, create_agent, load_reference, make_database, server_version
from bench.dispatch_parts import (
    CHANNEL_TIMEOUT,
    LIMIT,
    CpuWatch,
    Opened,
    SenderPool,
    by_attempt,
    deliveries,
    dispatch_plan,
    drain_on_simulated_clock,
    open_cases,
    outbox_state,
    wait_until_settled,
)
from bench.measure import code_version, latency_ms, percentile
from tests.fake_twilio import FakeTwilio

# The application code this process imported (the modules above): read now, not when a backend's run starts,
# so that files edited while the benchmark runs are not mistaken for the code measured.
CODE_AT_IMPORT = code_version()


@dataclass(frozen=True)
class DispatchOptions:
    dispatches: int = 1000
    rate: float = 20.0  # dispatches per second while the senders run
    senders: int = 2
    idle: float = 0.05  # seconds a polling sender sleeps after a pass that claimed nothing
    tick_dispatches: int = 400
    tick_interval: float = 1.0
    tick_senders: int = 1
    drain_senders: tuple[int, ...] = (1, 2)
    failure_rate: float = 0.2
    warmup: int = 20
    settle_timeout: float = 30.0
    drain_timeout: float = 120.0
    seed: int = 1999


@dataclass(frozen=True)
class _Run:
    kind: str
    app: Flask
    actor: Actor
    options: DispatchOptions


def _intake(opened: list[Opened], rate: float | None) -> dict[str, Any]:
    span = opened[-1].committed - (opened[0].committed - opened[0].seconds)
    seconds = [item.seconds for item in opened]
    return {
        "target_per_s": rate,
        "achieved_per_s": round(len(opened) / span, 1) if span else None,
        "open_case_p50_ms": round(percentile(seconds, 0.5) * 1000, 1),
        "open_case_p99_ms": round(percentile(seconds, 0.99) * 1000, 1),
        "max_behind_schedule_ms": round(max(item.lag for item in opened) * 1000, 1),
    }


def _checks(state: dict[str, Any], fake: FakeTwilio, duplicates: dict[Any, int]) -> dict[str, Any]:
    accepted = fake.accepted("sms")
    sids = {request.sid for request in accepted}
    return {
        "sms_rows": state["rows"],
        "sms_accepted": len(accepted),
        "sms_requests": len([r for r in fake.requests if r.kind == "sms"]),
        "all_delivered": state["statuses"] == {"sent": state["rows"]} and len(accepted) == state["rows"],
        "sent_twice": sum(count - 1 for count in duplicates.values()),
        "sids_match": sids == state["provider_ids"],
    }


def _live(run: _Run, plan: list[Any], *, senders: int, interval: float | None, failure_rate: float = 0.0) -> dict:
    options = run.options
    with FakeTwilio() as fake:
        if failure_rate:
            fake.failure_rate(failure_rate, seed=options.seed)
        pool = SenderPool(run.app, fake.base_url, senders, idle=options.idle, interval=interval)
        cpu = CpuWatch(run.kind)
        opened = open_cases(run.app, run.actor, plan, options.rate)
        settle = wait_until_settled(run.app, opened, options.settle_timeout)
        cores = cpu.cores()
        sender = pool.stop()
        drain = None
        if failure_rate:
            drain = drain_on_simulated_clock(run.app, fake.base_url, timeout=options.drain_timeout)
        state = outbox_state(run.app, opened)
        checks = _checks(state, fake, fake.duplicates())
        requests = fake.requests
    found, strays = deliveries(requests, opened, drain)
    arrivals = [r.received_monotonic for r in requests if r.accepted]
    span = max(arrivals) - opened[0].committed if arrivals else 0.0
    result: dict[str, Any] = {
        "dispatches": len(opened),
        "senders": senders,
        "polling": f"a pass every {interval:g} s" if interval else f"back to back, {options.idle * 1000:g} ms idle",
        "intake": _intake(opened, options.rate),
        "sms_per_dispatch": round(state["rows"] / len(opened), 2),
        **checks,
        "unmatched_sms": len(strays),
        "latency": latency_ms([item.latency for item in found]),
        "sms_per_s": round(len(found) / span, 1) if span else None,
        "settled_after_last_commit_s": round(settle, 2),
        "statuses": state["statuses"],
        "cores": cores,
        "sender_passes": sender["passes"],
        "sender_results": sender["results"],
        "sender_errors": sender["errors"],
    }
    if drain is not None:
        first = [item.latency for item in found if item.attempt == 1]
        retried = [item for item in found if item.attempt > 1]
        result |= {
            "failure_rate": failure_rate,
            "failed_requests": len([r for r in requests if r.kind == "sms" and not r.accepted]),
            "attempts_of_sent": state["attempts_of_sent"],
            "latency_first_try": latency_ms(first),
            "latency_retried": latency_ms([item.latency for item in retried]),
            "latency_by_attempt": by_attempt(found),
            "retried_in_real_time": len([item for item in retried if not item.simulated]),
            "retried_on_simulated_clock": len([item for item in retried if item.simulated]),
            "simulated_drain": {
                "real_s": round(drain.real_seconds, 1),
                "clock_skipped_s": round(drain.skipped_seconds, 1),
                "jumps": len(drain.jumps) - 1,
                "passes": drain.passes,
                "results": dict(drain.results),
            },
        }
    return result


def _drain(run: _Run, plan: list[Any], senders: int) -> dict[str, Any]:
    options = run.options
    opened = open_cases(run.app, run.actor, plan, None)
    expected = outbox_state(run.app, opened)["rows"]
    with FakeTwilio() as fake:
        cpu = CpuWatch(run.kind)
        started = time.monotonic()
        pool = SenderPool(run.app, fake.base_url, senders, idle=options.idle, interval=None)
        while len(fake.accepted("sms")) < expected and time.monotonic() - started < options.drain_timeout:
            time.sleep(0.02)
        cores = cpu.cores()
        sender = pool.stop()
        state = outbox_state(run.app, opened)
        checks = _checks(state, fake, fake.duplicates())
        arrivals = [r.received_monotonic for r in fake.accepted("sms")]
    seconds = max(arrivals) - started if arrivals else 0.0
    return {
        "dispatches": len(opened),
        "senders": senders,
        "intake": _intake(opened, None),
        **checks,
        "seconds": round(seconds, 2),
        "sms_per_s": round(len(arrivals) / seconds, 1) if seconds else None,
        # CPU of this whole process (senders, SDK, the fake's server threads) per SMS: what disturbance hardly moves.
        "cpu_ms_per_sms": round(cores["benchmark_process_cpu_s"] / len(arrivals) * 1000, 2) if arrivals else None,
        "cores": cores,
        "sender_passes": sender["passes"],
        "sender_errors": sender["errors"],
    }


def _print(kind: str, name: str, phase: dict[str, Any]) -> None:
    latency = phase.get("latency", {})
    figures = (
        f"p50 {latency['p50_ms']} / p95 {latency['p95_ms']} / p99 {latency['p99_ms']} / max {latency['max_ms']} ms, "
        if latency.get("n")
        else f"{phase.get('seconds')} s, "
    )
    print(
        f"  [{kind}] {name}: {phase['dispatches']:,} dispatches, {phase['sms_accepted']:,}/{phase['sms_rows']:,} SMS "
        f"accepted ({phase['sms_requests']:,} requests); {figures}{phase['sms_per_s']} SMS/s; "
        f"all delivered: {phase['all_delivered']}, sent twice: {phase['sent_twice']}, "
        f"SIDs kept: {phase['sids_match']}, SMS matching no case: {phase.get('unmatched_sms', 0)}, "
        f"sender errors: {len(phase['sender_errors'])}",
        flush=True,
    )
    if "latency_retried" in phase:
        print(
            f"  [{kind}] {name}: attempts of sent {phase['attempts_of_sent']}; first try {phase['latency_first_try']}; "
            f"retried {phase['latency_retried']}; clock skipped {phase['simulated_drain']['clock_skipped_s']} s",
            flush=True,
        )


def run_dispatch(kind: str, workdir: Path, options: DispatchOptions, pg_url: str) -> dict[str, Any]:
    """Every phase on one backend, on one freshly migrated and seeded database."""
    print(f"  [{kind}] migrate + seed, agent user", flush=True)
    database = make_database(kind, workdir, pg_url)
    agent_id, _token = create_agent(database)
    engine = database.engine()
    try:
        reference = load_reference(engine)
    finally:
        engine.dispose()
    actor = Actor(user_id=agent_id, username="bench-agent", role=Role.AGENT)
    plans = iter(range(100))

    def plan(count: int) -> list[Any]:
        return dispatch_plan(reference, count, options.seed * 100 + next(plans))

    phases: dict[str, dict[str, Any]] = {}
    with app_context(database) as app:
        run = _Run(kind, app, actor, options)
        # Not counted: first cases and first sends in this process (reference caches, SDK client, pools).
        _drain(run, plan(options.warmup), options.senders)
        name = f"live, {options.senders} senders polling"
        phases[name] = _live(run, plan(options.dispatches), senders=options.senders, interval=None)
        _print(kind, name, phases[name])
        name = f"live, {options.tick_senders} sender, {options.tick_interval:g} s ticks"
        phases[name] = _live(
            run, plan(options.tick_dispatches), senders=options.tick_senders, interval=options.tick_interval
        )
        _print(kind, name, phases[name])
        for senders in options.drain_senders:
            name = f"drain, {senders} sender{'s' if senders > 1 else ''}"
            phases[name] = _drain(run, plan(options.dispatches), senders)
            _print(kind, name, phases[name])
        name = f"live, {options.senders} senders polling, {options.failure_rate:.0%} failures"
        phases[name] = _live(
            run, plan(options.dispatches), senders=options.senders, interval=None, failure_rate=options.failure_rate
        )
        _print(kind, name, phases[name])
        db.session.remove()
    return {
        "backend": kind,
        "database": server_version(database),
        "code_at_start": CODE_AT_IMPORT,
        "options": asdict(options),
        "phases": phases,
        "method": METHOD,
    }


METHOD = [
    "one fresh database per backend (migrations + seed), one app and pool for every phase, a fresh fake Twilio "
    "(tests/fake_twilio.py, a threaded HTTP server) per phase; the producer, the senders and the fake are "
    "threads of one process",
    "cases opened through app.cases.intake.open_case (dispatch categories × districts, all routed), one "
    "transaction each, on a fixed schedule; the commit time is taken right after open_case returns",
    f"senders: app.alerting.outbox.send_due(limit={LIMIT}) with the real TwilioChannel (Twilio SDK, timeout "
    f"{CHANNEL_TIMEOUT:g} s), one SDK client, app context and session per sender thread",
    "latency: from a case's commit to the arrival (time.monotonic) at the fake of the accepted request carrying "
    "its case number, per SMS (one per mobile duty phone of the agency); p50/p95/p99 nearest rank",
    "SMS/s in the live phases follows the offered load (dispatches/s × SMS per dispatch); the drain phases "
    "measure the sender's throughput: from starting the senders to the last accepted request",
    f"failures: HTTP 500 at random (seeded); send_due backs off {BACKOFF_BASE.seconds} s doubling with ±25 % "
    f"jitter, up to {MAX_ATTEMPTS} attempts; retries due after the last case was opened are drained on a simulated "
    "clock (send_due(now=real now + offset), the offset jumping to the next due retry), their latency is real "
    "time plus the time skipped; a real sender polling every 50 ms would add up to 50 ms to each",
    "the fake Twilio shares this process (and its GIL) with the senders and the producer on a 2-core machine: "
    "the drain figures are a floor for the sender, and a second sender thread adds little",
    "no SLA sweep and no alert ladder run (so no voice calls); console alerts are the live feed's, not measured",
    "cores: CPU used meanwhile by this process (all threads), the postgres backends and anything else",
]

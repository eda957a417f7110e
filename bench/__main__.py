"""`python -m bench [intake|search|sla_sweep|dispatch|push_latency]`: run the benchmarks (default: all).

Results go to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.database_admin import drop_postgres_database
from bench.database import DEFAULT_PG_URL
from bench.dispatch import DispatchOptions, run_dispatch
from bench.dispatch_report import markdown_section as dispatch_section
from bench.dispatch_report import write_markdown as write_dispatch_markdown
from bench.intake import IntakeOptions, run_intake
from bench.measure import CODE_VERSION_ENV, HEAD_EXPORT_ENV
from bench.push_latency import SCENARIOS, PushOptions, run_push_latency
from bench.push_latency import markdown_section as push_section
from bench.push_latency import write_markdown as write_push_markdown
from bench.report import RESULTS_DIR, append_sections, record, record_plans, write_summary
from bench.search import SearchOptions, run_search
from bench.sla_clock import run_clock
from bench.sla_report import markdown_section as sla_section
from bench.sla_report import write_markdown
from bench.sla_sweep import SlaSweepOptions, run_sla_sweep, sizes_argument
from config.settings import PROJECT_ROOT, Settings

COMMAND_ENV = "BENCH_COMMAND"  # the command as typed, for a child run on an export of HEAD
BENCHMARKS = ("intake", "search", "sla_sweep", "dispatch", "push_latency")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("benchmark", nargs="?", choices=BENCHMARKS, help="run one benchmark (default: all)")
    parser.add_argument("--only", choices=BENCHMARKS, help="the same as the positional argument")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases loaded for the search benchmark")
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each search query")
    parser.add_argument("--no-plans", action="store_true", help="skip EXPLAIN of the search queries")
    parser.add_argument(
        "--what-if-statistics",
        type=int,
        default=1000,
        metavar="N",
        help="on PostgreSQL, search again after SET STATISTICS N on the searched columns (0: skip)",
    )
    parser.add_argument("--requests", type=int, default=3000, help="measured POST /api/v1/cases requests")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests before them")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (and Core threads)")
    parser.add_argument("--sqlite-server", default="1x8", metavar="WORKERSxTHREADS", help="gunicorn on SQLite")
    parser.add_argument("--pg-server", default="2x8", metavar="WORKERSxTHREADS", help="gunicorn on PostgreSQL")
    parser.add_argument(
        "--sla-sizes",
        type=sizes_argument,
        default=SlaSweepOptions.sizes,
        metavar="N,N,...",
        help="cases loaded for the SLA sweep, one database each (default: 10000,100000,1000000)",
    )
    parser.add_argument(
        "--sla-sqlite-max",
        type=int,
        default=SlaSweepOptions.sqlite_max_cases,
        metavar="N",
        help="skip SLA sweep sizes above N cases on SQLite",
    )
    parser.add_argument("--sla-runs", type=int, default=SlaSweepOptions.runs, help="timed sweeps per size")
    parser.add_argument("--sla-due", type=int, default=SlaSweepOptions.due, help="cases due in each sweep")
    parser.add_argument(
        "--clock-starts", type=int, default=SlaSweepOptions.clock_starts, help="start times for the clock figures"
    )
    parser.add_argument(
        "--dispatches", type=int, default=DispatchOptions.dispatches, help="dispatches per dispatch phase"
    )
    parser.add_argument(
        "--dispatch-rate", type=float, default=DispatchOptions.rate, help="dispatches per second in the live phases"
    )
    parser.add_argument(
        "--dispatch-senders", type=int, default=DispatchOptions.senders, help="sender threads in the live phases"
    )
    parser.add_argument(
        "--tick-dispatches",
        type=int,
        default=DispatchOptions.tick_dispatches,
        help="dispatches in the phase with one sender ticking every second",
    )
    parser.add_argument(
        "--failure-rate", type=float, default=DispatchOptions.failure_rate, help="share of requests the fake fails"
    )
    parser.add_argument("--clients", type=int, default=PushOptions.clients, help="push: consoles connected")
    parser.add_argument("--agencies", type=int, default=PushOptions.agencies, help="push: agencies the cases go to")
    parser.add_argument(
        "--supervisors", type=int, default=PushOptions.supervisors, help="push: consoles that are supervisors"
    )
    parser.add_argument("--push-rate", type=float, default=PushOptions.rate, help="push: cases per second")
    parser.add_argument("--seconds", type=float, default=PushOptions.seconds, help="push: seconds of cases")
    parser.add_argument(
        "--client-processes", type=int, default=PushOptions.client_processes, help="push: client processes"
    )
    parser.add_argument(
        "--scenarios",
        type=_scenarios,
        default=None,
        metavar="NAME,...",
        help=f"push: {', '.join(SCENARIOS)} (default: those of --backend)",
    )
    parser.add_argument("--redis-url", default=PushOptions.redis_url, help="push: Redis for the two-process scenario")
    parser.add_argument(
        "--head",
        action="store_true",
        help="run on a `git archive HEAD` export (bench/ from the working tree): others' uncommitted edits unmeasured",
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="database to (re)create; it is dropped afterwards")
    parser.add_argument("--seed", type=int, default=1999)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and PostgreSQL databases")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="where to write the results")
    return parser


def _scenarios(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"scenarios are {', '.join(SCENARIOS)}; not {', '.join(unknown) or value!r}")
    return names


def _server_shape(value: str) -> tuple[int, int]:
    workers, _, threads = value.partition("x")
    return int(workers), int(threads)


def _pg_url(base: str, suffix: str) -> str:
    url = make_url(Settings.from_env({"DATABASE_URL": base, "SECRET_KEY": "x"}).database_url)
    return url.set(database=f"{url.database}{suffix}").render_as_string(hide_password=False)


def _check_postgres(url: str) -> None:
    admin = make_url(_pg_url(url, "")).set(database="postgres")
    engine = create_engine(admin)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        raise SystemExit(
            f"PostgreSQL is not reachable at {admin.render_as_string()}: {exc}\n"
            "Run with --backend sqlite, or give --pg-url."
        ) from exc
    finally:
        engine.dispose()


def _run_on_head(argv: list[str], command: str, results: Path, *, keep: bool) -> int:
    """The same command in a child process whose code is `git archive HEAD`, but for bench/ (the working tree's)."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    export = Path(tempfile.mkdtemp(prefix="hotline-bench-head-"))
    try:
        archive = subprocess.run(["git", "archive", commit], cwd=PROJECT_ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(export)], input=archive.stdout, check=True)
        shutil.rmtree(export / "bench", ignore_errors=True)
        ignore = shutil.ignore_patterns("__pycache__", "results")
        shutil.copytree(PROJECT_ROOT / "bench", export / "bench", ignore=ignore)
        env = {
            **os.environ,
            HEAD_EXPORT_ENV: f"git archive {commit} (bench/ from the working tree)",
            CODE_VERSION_ENV: json.dumps({"commit": commit, "uncommitted_app_files": 0}),
            COMMAND_ENV: command,
        }
        print(f"bench: running on an export of HEAD ({commit}) in {export}", flush=True)
        child = [sys.executable, "-m", "bench", *argv, "--results", str(results.resolve())]
        return subprocess.run(child, cwd=export, env=env, check=False).returncode
    finally:
        if not keep:
            shutil.rmtree(export, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.benchmark and args.only and args.benchmark != args.only:
        raise SystemExit(f"python -m bench: {args.benchmark} or --only {args.only}, not both")
    selected = args.benchmark or args.only
    argv = sys.argv[1:] if argv is None else argv
    command = os.environ.get(COMMAND_ENV) or shlex.join([".venv/bin/python", "-m", "bench", *argv])
    if args.head and not os.environ.get(HEAD_EXPORT_ENV):
        return _run_on_head(argv, command, args.results, keep=args.keep)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends:
        _check_postgres(args.pg_url)
    workdir = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    pg_databases: list[str] = []
    started = time.perf_counter()
    load_before = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"bench: working in {workdir}; results to {args.results}; load average {load_before}", flush=True)
    try:
        if selected in (None, "intake"):
            for kind in backends:
                workers, threads = _server_shape(args.sqlite_server if kind == "sqlite" else args.pg_server)
                options = IntakeOptions(
                    requests=args.requests,
                    warmup=args.warmup,
                    concurrency=args.concurrency,
                    workers=workers,
                    threads=threads,
                    seed=args.seed,
                )
                print(f"intake on {kind}", flush=True)
                http_url, core_url = _pg_url(args.pg_url, "_http"), _pg_url(args.pg_url, "_core")
                if kind == "postgresql":
                    pg_databases += [http_url, core_url]
                result = run_intake(kind, workdir / f"intake-{kind}", options, http_url, core_url)
                print(f"  wrote {record(args.results, 'intake', result, command, load_before)}", flush=True)
        if selected in (None, "search"):
            for kind in backends:
                options_search = SearchOptions(
                    cases=args.cases,
                    runs=args.runs,
                    seed=args.seed,
                    plans=not args.no_plans,
                    what_if_statistics=args.what_if_statistics,
                )
                print(f"search on {kind}", flush=True)
                search_url = _pg_url(args.pg_url, "")
                if kind == "postgresql":
                    pg_databases.append(search_url)
                for result in run_search(kind, workdir / f"search-{kind}", options_search, search_url):
                    plans = result.pop("plans")
                    print(f"  wrote {record(args.results, 'search', result, command, load_before)}", flush=True)
                    if plans:
                        print(f"  wrote {record_plans(args.results, result['backend'], plans)}", flush=True)
        if selected in (None, "sla_sweep"):
            options_sla = SlaSweepOptions(
                sizes=args.sla_sizes,
                sqlite_max_cases=args.sla_sqlite_max,
                runs=args.sla_runs,
                due=args.sla_due,
                clock_starts=args.clock_starts,
                seed=args.seed,
            )
            print("sla_sweep: working-time clock", flush=True)
            clock = run_clock(options_sla)
            print(f"  wrote {record(args.results, 'sla_sweep', clock, command, load_before)}", flush=True)
            for kind in backends:
                print(f"sla_sweep on {kind}", flush=True)
                sla_url = _pg_url(args.pg_url, "_sla")
                if kind == "postgresql":
                    pg_databases.append(sla_url)
                result = run_sla_sweep(kind, workdir / f"sla-{kind}", options_sla, sla_url)
                print(f"  wrote {record(args.results, 'sla_sweep', result, command, load_before)}", flush=True)
            print(f"  wrote {write_markdown(args.results)}", flush=True)
        if selected in (None, "dispatch"):
            options_dispatch = DispatchOptions(
                dispatches=args.dispatches,
                rate=args.dispatch_rate,
                senders=args.dispatch_senders,
                tick_dispatches=args.tick_dispatches,
                failure_rate=args.failure_rate,
                seed=args.seed,
            )
            for kind in backends:
                print(f"dispatch on {kind}", flush=True)
                dispatch_url = _pg_url(args.pg_url, "_dispatch")
                if kind == "postgresql":
                    pg_databases.append(dispatch_url)
                result = run_dispatch(kind, workdir / f"dispatch-{kind}", options_dispatch, dispatch_url)
                print(f"  wrote {record(args.results, 'dispatch', result, command, load_before)}", flush=True)
            print(f"  wrote {write_dispatch_markdown(args.results)}", flush=True)
        if selected in (None, "push_latency"):
            options_push = PushOptions(
                clients=args.clients,
                agencies=args.agencies,
                supervisors=args.supervisors,
                rate=args.push_rate,
                seconds=args.seconds,
                client_processes=args.client_processes,
                redis_url=args.redis_url,
                seed=args.seed,
            )
            names = args.scenarios or [name for name, s in SCENARIOS.items() if s.kind in backends]
            for name in names:
                print(f"push_latency: {name}", flush=True)
                push_url = _pg_url(args.pg_url, "_push")
                if SCENARIOS[name].kind == "postgresql":
                    _check_postgres(args.pg_url)
                    pg_databases.append(push_url)
                result = run_push_latency(SCENARIOS[name], workdir / f"push-{name}", options_push, push_url)
                print(f"  wrote {record(args.results, 'push_latency', result, command, load_before)}", flush=True)
            print(f"  wrote {write_push_markdown(args.results)}", flush=True)
        print(f"  wrote {write_summary(args.results)}", flush=True)
        append_sections(
            args.results, sla_section(args.results), dispatch_section(args.results), push_section(args.results)
        )
    finally:
        if args.keep:
            print(f"bench: kept {workdir} and PostgreSQL databases {', '.join(pg_databases) or '(none)'}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            for url in dict.fromkeys(pg_databases):
                drop_postgres_database(url)
    print(f"bench: done in {time.perf_counter() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

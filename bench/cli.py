"""`python -m bench` (`make bench`): run the sections, print the table, write the JSON."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from bench import contract_ratio, growth, report, wrk
from bench.servers import BenchError, Server, Servers, call, free_port
from bench.workloads import LIST_ITEMS, MOCK_TARGETS, SEED_WORKLOADS, TABLE, TOKEN, Workload, from_index
from mockserver.cli import positive_int
from mockserver.serving_granian import granian_installed

ROOT = Path(__file__).resolve().parent.parent
PRISM = ROOT / "bench" / ".node" / "node_modules" / ".bin" / "prism"  # installed by `make bench`
LARGE_DOCUMENT = "tests/corpus/box.json"
INDEXES = ("/__mock/apis", "/")

_DESCRIPTION = """\
Benchmark the mock on this machine, each server on its own 127.0.0.1 port, one worker:

  throughput  the bare Starlette reference (bench/reference.py, answering the bytes the mock
              answered), the mock (all five seed specs and the petstore-expanded corpus
              document, credentials checked, state kept), each on uvicorn and on granian
              (`-granian` rows, where granian is installed), and Prism 5 (`prism mock -d`, when
              `make bench` could install it), under wrk on each workload of bench/workloads.py.
              The servers take turns in --rounds slices of --duration seconds, so that other
              work on the machine weighs on all alike.
  start-up    seconds from process start until the five seed operations answer (and until the
              largest corpus document is served, with its RSS), median of --startup-runs.
  contract    cases/s of the contract suite (`pytest contracts --base-url`) beside a raw `st run` of
              the same cases, against the five seed mocks on a socket (bench/contract_ratio.py).
  engines     the seed updates with SQLite state, Redis state with 1 and 2 workers, and
              --dynamic answers (no state touched) with 1 and 2 workers, taking turns.
  growth      list/create req/s and RSS with 1k, 10k and 100k stored pets, and start-up time and
              RSS of every corpus document against its size; plots in bench/results/*.svg.
"""
_EPILOG = """\
targets (issue 11; figures, not tests, unless --check): seed workloads >= 0.85 x the reference
on the same server, p99 < 10 ms, no errors; the mock on the faster server >= 1.0 x the reference
on uvicorn; the corpus list and create >= 0.6 x; SQLite >= 0.5 x memory, Redis with 2 workers
>= 1.0 x memory, --dynamic with 2 workers >= 1.6 x 1 worker; seed specs ready < 0.5 s; the
largest corpus document ready < 2 s and < 250 MB RSS; the contract suite >= 0.8 x the cases/s of a
raw st run. The ratio column is over the reference
on uvicorn.

examples:
  make bench
  make bench BENCH_ARGS='--workload omi --workload pets-list --no-prism --no-contract'
"""


def _not_negative(text: str) -> int:
    return 0 if text.strip() == "0" else positive_int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    add = parser.add_argument
    add("--duration", type=positive_int, default=2, metavar="S", help="seconds per slice (default 2)")
    add("--rounds", type=positive_int, default=3, metavar="N", help="slices per server, alternating (default 3)")
    add("--warmup", type=_not_negative, default=1, metavar="S", help="unmeasured seconds before the slices (default 1)")
    add("--connections", type=positive_int, default=16, metavar="N", help="keep-alive connections (default 16)")
    add("--workload", action="append", choices=list(TABLE), help="only this workload (repeatable; default all)")
    add("--startup-runs", type=positive_int, default=5, metavar="N", help="start-ups timed per server (default 5)")
    add("--no-throughput", action="store_true", help="skip the load runs")
    add("--no-prism", action="store_true", help="leave Prism out")
    add("--no-granian", action="store_true", help="leave the granian rows out (uvicorn only)")
    add("--no-startup", action="store_true", help="skip the start-up timing")
    add("--no-contract", action="store_true", help="skip timing the contract suite")
    add("--no-engines", action="store_true", help="skip the SQLite, Redis and --dynamic (1 and 2 workers) rows")
    add("--no-growth", action="store_true", help="skip the growth curves (stored resources, document size)")
    add("--results", type=Path, default=ROOT / "bench" / "results", metavar="DIR", help="default bench/results")
    add("--check", action="store_true", help="exit 1 when a target is missed")
    return parser


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def mock_argv(targets: Sequence[str] = MOCK_TARGETS, *extra: str) -> Callable[[int], list[str]]:
    options = ["--quiet", "--token", TOKEN, "--seed-items", str(LIST_ITEMS), *extra]
    return lambda port: [sys.executable, "-m", "mockserver", "serve", *targets, "--port", str(port), *options]


def reference_argv(server: str) -> Callable[[int], list[str]]:
    """The reference on `server`, set up as the mock sets it up (one worker, HTTP/1.1, no
    lifespan, no access log)."""
    options = {
        "uvicorn": "--workers 1 --log-level warning --no-access-log --lifespan off --no-proxy-headers",
        "granian": "--interface asginl --workers 1 --http 1 --no-ws --log-level warning",
    }[server].split()
    return lambda port: [sys.executable, "-m", server, "bench.reference:app", "--port", str(port), *options]


def http_servers(args: argparse.Namespace) -> list[str]:
    """uvicorn, and granian where it is installed and wanted."""
    if args.no_granian:
        return ["uvicorn"]
    if granian_installed():
        return ["uvicorn", "granian"]
    say("granian is not installed (`make install` installs the granian extra): its rows are left out")
    return ["uvicorn"]


def prism_argv(spec: Path) -> Callable[[int], list[str]]:
    options = ["mock", "-d", "-h", "127.0.0.1", "--verboseLevel", "error", str(spec)]
    return lambda port: [str(PRISM), *options, "-p", str(port)]


def index_of(server: Server) -> dict[str, Any]:
    for path in INDEXES:
        try:
            status, _, body = call(server.port, "GET", path)
        except OSError:
            continue
        if status == 200 and b'"apis"' in body:
            return dict(json.loads(body))
    raise BenchError(f"{server.name} lists no APIs at {' or '.join(INDEXES)}")


def start(servers: Servers, name: str, argv: Callable[[int], list[str]], env: dict[str, str] | None = None) -> Server:
    port = free_port()
    server = servers.start(Server(name, argv(port), port, ROOT, env))
    server.wait_until(server.answers, interval=0.05)
    return server


def preflight(server: Server, w: Workload, path: str | None = None) -> tuple[int, str, bytes]:
    status, media_type, body = call(server.port, w.method, path or w.path, w.body_bytes, w.headers())
    if not 200 <= status < 300:
        raise BenchError(f"{server.name} answered {status} to {w.method} {path or w.path}: {body[:300]!r}")
    return status, media_type, body


def measure(servers: Sequence[tuple[Server, str]], w: Workload, args: argparse.Namespace) -> list[report.Row]:
    """Alternating slices of load on each (server, path); one merged row per server."""
    for server, path in servers:
        if args.warmup > 0:
            wrk.run(server.port, w.method, path, w.headers(), w.body_bytes, args.warmup, args.connections)
    slices: dict[str, list[wrk.LoadResult]] = {s.name: [] for s, _ in servers}
    cpu: dict[str, float] = dict.fromkeys(slices, 0.0)
    for _ in range(args.rounds):
        for server, path in servers:
            before = server.cpu_seconds() or 0.0
            slices[server.name].append(
                wrk.run(server.port, w.method, path, w.headers(), w.body_bytes, args.duration, args.connections)
            )
            cpu[server.name] += (server.cpu_seconds() or 0.0) - before
    rows = []
    for server, _ in servers:
        result = wrk.merge(slices[server.name])
        cpu_us = cpu[server.name] / result.requests * 1e6 if result.requests and cpu[server.name] > 0 else None
        figures = f"{result.rps:>8,.0f} req/s  p99 {result.p99_ms:6.2f} ms  CPU {cpu_us or 0:.0f} us"
        say(f"  {w.name:<13} {server.name:<17} {figures}")
        rows.append(report.Row(w.name, server.name, result, cpu_us))
    return rows


def throughput(args: argparse.Namespace) -> list[report.Row]:
    rows: list[report.Row] = []
    with Servers() as servers, tempfile.NamedTemporaryFile("w", suffix=".json") as answers:
        others = http_servers(args)[1:]  # beside uvicorn
        mock = start(servers, "mock", mock_argv())
        mocks = [mock, *(start(servers, f"mock-{s}", mock_argv(MOCK_TARGETS, "--server", s)) for s in others)]
        workloads = from_index(index_of(mock), args.workload)
        recorded = []
        for w in workloads:
            status, media_type, body = preflight(mock, w)
            path = w.path.split("?")[0]
            answer = {"status": status, "content_type": media_type, "body_hex": body.hex()}
            recorded.append({"method": w.method, "path": path, "has_body": w.body is not None, **answer})
        answers.write(json.dumps(recorded))
        answers.flush()
        env = {"BENCH_ANSWERS": answers.name}
        references = [start(servers, report.REFERENCE, reference_argv("uvicorn"), env)]
        references += [start(servers, f"{report.REFERENCE}-{s}", reference_argv(s), env) for s in others]
        pairs = [s for pair in zip(references, mocks, strict=True) for s in pair]  # reference, mock, per server
        for w in workloads:
            for server in pairs:
                preflight(server, w)
            rows += measure([(server, w.path) for server in pairs], w, args)
        if not args.no_engines:
            rows += engines(servers, [w for w in workloads if w.name in SEED_WORKLOADS], args)
    if not args.no_prism and PRISM.exists():
        for w in workloads:
            spec = next(ROOT / t for t in (f"specs/{w.api}.yaml", f"tests/corpus/{w.api}.yaml") if (ROOT / t).exists())
            with Servers() as servers:
                prism = start(servers, "prism", prism_argv(spec))
                try:
                    preflight(prism, w, w.spec_path)
                    rows += measure([(prism, w.spec_path)], w, args)
                except (BenchError, OSError) as exc:
                    rows.append(report.Row(w.name, "prism", None, problem=str(exc).splitlines()[0][:120]))
    elif not args.no_prism:
        say(f"Prism is not installed at {PRISM} (`make bench` installs it with npm): left out")
    return report.with_ratios(rows)


def engines(servers: Servers, workloads: Sequence[Workload], args: argparse.Namespace) -> list[report.Row]:
    """The seed updates on the other state engines: SQLite, and Redis with 1 and 2 workers
    (a redis-server of its own on a free port; left out, with a note, where there is none);
    and --dynamic answers, which touch no state, with 1 and 2 workers (the CLI wants a shared
    state for 2: SQLite, left untouched). All take turns on each workload."""
    scratch = Path(tempfile.mkdtemp(prefix="bench-state-"))
    sqlite = ("--state", f"sqlite:///{scratch / 'state.db'}")
    variants: list[tuple[str, tuple[str, ...]]] = [
        ("mock-sqlite", sqlite),
        ("mock-dynamic", ("--dynamic", *sqlite)),
        ("mock-dynamic-2w", ("--dynamic", *sqlite, "--workers", "2")),
    ]
    redis = shutil.which("redis-server")
    if redis is None:
        say("redis-server is not installed (`make test` installs it): the Redis rows are left out")
    else:
        port = free_port()
        argv = [redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(scratch)]
        servers.start(Server("redis", argv, port, ROOT)).wait_until(lambda: _pong(port), interval=0.05)
        url = f"redis://127.0.0.1:{port}/0"
        variants += [("mock-redis", ("--state", url)), ("mock-redis-2w", ("--state", url, "--workers", "2"))]
    started = [start(servers, name, mock_argv(["specs"], *options)) for name, options in variants]
    rows: list[report.Row] = []
    for w in workloads:
        for server in started:
            preflight(server, w)
        rows += measure([(server, w.path) for server in started], w, args)
    return rows


def _pong(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
        conn.sendall(b"PING\r\n")
        return conn.recv(16).startswith(b"+PONG")
    return False


def startup(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    seeds: list[float] = []
    for _ in range(args.startup_runs):
        with Servers() as servers:
            port = free_port()
            server = servers.start(Server("mock", mock_argv(["specs"])(port), port, ROOT))
            server.wait_until(server.answers)
            for w in from_index(index_of(server), SEED_WORKLOADS):
                preflight(server, w)
            seeds.append(time.perf_counter() - server.started_at)
    out["seed"] = {"median_s": round(statistics.median(seeds), 3), "runs_s": [round(s, 3) for s in seeds]}
    large: list[tuple[float, float]] = []
    for _ in range(args.startup_runs):
        with Servers() as servers:
            port = free_port()
            server = servers.start(Server("mock", mock_argv([LARGE_DOCUMENT])(port), port, ROOT))
            seconds = server.wait_until(server.answers, interval=0.01)
            large.append((seconds, server.rss_mb() or 0.0))
            operations = sum(len(api["operations"]) for api in index_of(server)["apis"])
    seconds = statistics.median(s for s, _ in large)
    rss = max(r for _, r in large)
    out["large"] = {"document": LARGE_DOCUMENT, "operations": operations, "median_s": round(seconds, 3), "rss_mb": rss}
    return out


def contract() -> dict[str, Any]:
    """The contract suite's cases/s beside a raw `st run` of the same cases (`contract_ratio`)."""
    return contract_ratio.measure(ROOT, say).as_dict()


def run(args: argparse.Namespace) -> int:
    began = datetime.now(UTC)
    payload: dict[str, Any] = {"started": began.isoformat(timespec="seconds"), "load_average": os.getloadavg()}
    rows = [] if args.no_throughput else throughput(args)
    payload["throughput"] = [row.as_dict() for row in rows]
    payload["startup"] = {} if args.no_startup else startup(args)
    if not args.no_contract:
        payload["contract"] = contract()
    if not args.no_growth:
        payload["growth"] = growth.run(ROOT, args.results, args, index_of)
    checks = report.check_targets(rows, SEED_WORKLOADS, payload["startup"], payload.get("contract"))
    payload["targets"] = [{"what": c.what, "met": c.met, "value": c.value} for c in checks]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    payload["commit"] = commit.stdout.strip() or None
    if rows:
        print(report.table(rows))
    for name, entry in payload["startup"].items():
        print(f"start-up ({name}): {json.dumps(entry)}")
    if "contract" in payload:
        print(contract_ratio.table(payload["contract"]))
    for key, rows_of in payload.get("growth", {}).items():
        print(f"growth ({key}):\n" + "\n".join(f"  {json.dumps(row)}" for row in rows_of))
    print("targets:\n" + report.checklist(checks))
    written = report.write(args.results, payload, began)
    print(f"results: {written} (and latest.json); load average at the end {os.getloadavg()}")
    return 1 if args.check and not all(c.met for c in checks) else 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # servers are stopped on `kill` as on Ctrl-C
    try:
        return run(args)
    except (BenchError, OSError) as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped", file=sys.stderr)
        return 130

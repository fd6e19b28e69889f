"""`python -m bench` (`make bench`): run the sections, judge the targets, print them as the README's
section, write the JSON."""

from __future__ import annotations

import argparse
import compileall
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
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import contract_ratio, growth, markdown, wrk
from bench.servers import HOST, ROOT, BenchError, Server, Servers, call, index_of, mock_argv, with_port
from bench.workloads import LIST_ITEMS, MOCK_TARGETS, SEED_WORKLOADS, TABLE, Workload, WorkloadError, from_index
from mockserver.cli import _non_negative_int, positive_int
from mockserver.serving_granian import granian_installed

PRISM = ROOT / "bench" / ".node" / "node_modules" / ".bin" / "prism"  # installed by `make bench`
LARGE_DOCUMENT = "tests/corpus/box.json"
SEEDED = ("--seed-items", str(LIST_ITEMS))
REFERENCE = "reference"
SEED_MIN_RATIO, RESOURCE_MIN_RATIO = 0.85, 0.6  # the mock over the reference: seed updates, corpus list and create
MAX_P99_MS, MAX_SEED_STARTUP_S, MAX_LARGE_STARTUP_S, MAX_LARGE_RSS_MB = 10.0, 0.5, 2.0, 250.0
FASTER_SERVER_MIN_RATIO = 1.0  # the mock on its faster server over the reference on uvicorn
RELATIVE = (  # (server, over server, floor) for the seed workloads, where both rows were measured
    ("mock-granian", "reference-granian", SEED_MIN_RATIO),
    ("mock-sqlite", "mock", 0.5),
    ("mock-redis-2w", "mock", 1.0),
    ("mock-dynamic-2w", "mock-dynamic", 1.6),
)
# bench/reference.py set up on each server as the mock sets it up: one worker, HTTP/1.1, no lifespan, no access log
REFERENCE_OPTIONS = {
    "uvicorn": "--workers 1 --log-level warning --no-access-log --lifespan off --no-proxy-headers",
    "granian": "--interface asginl --workers 1 --http 1 --no-ws --log-level warning",
}

_DESCRIPTION = """\
Benchmark the mock on this machine (see bench/README.md), each server on a 127.0.0.1 port:
throughput under wrk of each workload of bench/workloads.py on the bare reference and the
mock, each on uvicorn and on granian, and on Prism, taking turns in --rounds slices of
--duration seconds; start-up; the contract suite beside a raw st run; the state engines and
--dynamic with 1 and 2 workers; growth with stored pets and document size (SVG plots)."""
_EPILOG = f"""\
targets (figures, not tests, unless --check): the seed updates >= {SEED_MIN_RATIO} x the reference
on the same server, p99 < {MAX_P99_MS:g} ms, no errors; the corpus list and create >= {RESOURCE_MIN_RATIO} x;
the mock on its faster server >= {FASTER_SERVER_MIN_RATIO} x the reference on uvicorn;
{"; ".join(f"{a} >= {f} x {b}" for a, b, f in RELATIVE[1:])};
seed specs ready < {MAX_SEED_STARTUP_S} s; {LARGE_DOCUMENT} < {MAX_LARGE_STARTUP_S:g} s, < {MAX_LARGE_RSS_MB:g} MB RSS;
{contract_ratio.TARGET}. The ratio column is over the reference on uvicorn.

examples:
  make bench
  make bench BENCH_ARGS='--workload omi --workload pets-list --no-prism --no-contract'
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    add = parser.add_argument
    add("--duration", type=positive_int, default=2, metavar="S", help="seconds per slice (default 2)")
    add("--rounds", type=positive_int, default=3, metavar="N", help="slices per server, alternating (default 3)")
    add("--warmup", type=_non_negative_int, default=1, metavar="S", help="unmeasured seconds first (default 1)")
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


Row = dict[str, Any]  # as in the JSON: workload, server, problem, a LoadResult's figures, ratio, CPU us per request


def row(workload: str, server: str, result: wrk.LoadResult | None, cpu_us: float | None = None, why: str = "") -> Row:
    figures, cpu = result.as_dict() if result else {}, None if cpu_us is None else round(cpu_us, 1)
    return {"workload": workload, "server": server, "problem": why or None, **figures, "cpu_us_per_request": cpu}


def _rps(r: Row) -> float:
    return float(r["requests"] / r["seconds"]) if r.get("seconds") else 0.0  # unrounded


def with_ratios(rows: list[Row]) -> list[Row]:
    """Each row's `ratio`: its req/s over the reference's (on uvicorn) for the same workload."""
    reference = {r["workload"]: _rps(r) for r in rows if r["server"] == REFERENCE and _rps(r)}
    for r in rows:
        measured = "requests" in r and r["workload"] in reference
        r["ratio"] = round(_rps(r) / reference[r["workload"]], 3) if measured else None
    return rows


def preflight(server: Server, w: Workload, path: str | None = None) -> tuple[int, str, bytes]:
    status, media_type, body = call(server.port, w.method, path or w.path, w.body_bytes, w.headers())
    if not 200 <= status < 300:
        raise BenchError(f"{server.name} answered {status} to {w.method} {path or w.path}: {body[:300]!r}")
    return status, media_type, body


def measure(servers: Sequence[Server], w: Workload, path: str, args: argparse.Namespace) -> list[Row]:
    """Alternating slices of load on each server; one merged row per server."""

    def load(server: Server, seconds: int) -> wrk.LoadResult:
        return wrk.run(server.port, w.method, path, w.headers(), w.body_bytes, seconds, args.connections)

    for server in servers if args.warmup else ():
        load(server, args.warmup)
    slices: dict[str, list[wrk.LoadResult]] = {s.name: [] for s in servers}
    cpu = dict.fromkeys(slices, 0.0)
    for _ in range(args.rounds):
        for server in servers:
            before = server.cpu_seconds()
            slices[server.name].append(load(server, args.duration))
            cpu[server.name] += server.cpu_seconds() - before
    rows = []
    for name, taken in slices.items():
        result = wrk.merge(taken)
        cpu_us = cpu[name] / result.requests * 1e6 if result.requests and cpu[name] > 0 else None
        figures = f"{result.rps:>8,.0f} req/s  p99 {result.p99_ms:6.2f} ms  CPU {cpu_us or 0:.0f} us"
        say(f"  {w.name:<13} {name:<17} {figures}")
        rows.append(row(w.name, name, result, cpu_us))
    return rows


def turns(servers: Sequence[Server], workloads: Sequence[Workload], args: argparse.Namespace) -> list[Row]:
    """Each workload on `servers` taking turns, once each has answered it with a 2xx."""
    rows = []
    for w in workloads:
        for server in servers:
            preflight(server, w)
        rows += measure(servers, w, w.path, args)
    return rows


def throughput(args: argparse.Namespace) -> list[Row]:
    """The reference and the mock on each server, the engines beside them, then Prism."""
    on = ["uvicorn"] if args.no_granian or not granian_installed() else ["uvicorn", "granian"]
    if not args.no_granian and len(on) == 1:
        say("granian is not installed (`make install` installs the granian extra): its rows are left out")
    named = {s: "" if s == "uvicorn" else f"-{s}" for s in on}
    with Servers() as servers, tempfile.NamedTemporaryFile("w", suffix=".json") as answers:
        mocks = [servers.start("mock", mock_argv(*MOCK_TARGETS, *SEEDED))]
        mocks += [servers.start(f"mock-{s}", mock_argv(*MOCK_TARGETS, *SEEDED, "--server", s)) for s in on[1:]]
        workloads, recorded = from_index(index_of(mocks[0]), args.workload), []
        for w in workloads:  # the reference answers what the mock answered
            status, media_type, body = preflight(mocks[0], w)
            request = {"method": w.method, "path": w.path.split("?")[0], "has_body": w.body is not None}
            recorded.append({**request, "status": status, "content_type": media_type, "body_hex": body.hex()})
        json.dump(recorded, answers)
        answers.flush()
        env = {"BENCH_ANSWERS": answers.name}
        app = {s: [sys.executable, "-m", s, "bench.reference:app", *REFERENCE_OPTIONS[s].split()] for s in on}
        references = [servers.start(REFERENCE + named[s], with_port([*app[s], "--port"]), env) for s in on]
        rows = turns([s for pair in zip(references, mocks, strict=True) for s in pair], workloads, args)
        if not args.no_engines:
            rows += engines(servers, [w for w in workloads if w.name in SEED_WORKLOADS], args)
    if not args.no_prism and not PRISM.exists():
        say(f"Prism is not installed at {PRISM} (`make bench` installs it with npm): left out")
    for w in workloads if not args.no_prism and PRISM.exists() else ():  # one document per process
        spec = next(ROOT / t for t in (f"specs/{w.api}.yaml", f"tests/corpus/{w.api}.yaml") if (ROOT / t).exists())
        with Servers() as servers:
            argv = [str(PRISM), "mock", "-d", "-h", HOST, "--verboseLevel", "error", str(spec), "-p"]
            prism = servers.start("prism", with_port(argv))
            try:
                preflight(prism, w, w.spec_path)
                rows += measure([prism], w, w.spec_path, args)
            except (BenchError, OSError) as exc:
                rows.append(row(w.name, "prism", None, why=str(exc).splitlines()[0][:120]))
    return with_ratios(rows)


def engines(servers: Servers, workloads: Sequence[Workload], args: argparse.Namespace) -> list[Row]:
    """The seed updates on SQLite state, on Redis state (a redis-server of its own; left out,
    with a note, where there is none) with 1 and 2 workers, and with --dynamic answers (no
    state touched; 2 workers want a shared one: SQLite, left untouched) with 1 and 2 workers."""
    scratch = servers.enter_context(tempfile.TemporaryDirectory(prefix="bench-state-"))
    sqlite = ("--state", f"sqlite:///{scratch}/state.db")
    variants = {"mock-sqlite": sqlite, "mock-dynamic": ("--dynamic", *sqlite)}
    variants["mock-dynamic-2w"] = (*variants["mock-dynamic"], "--workers", "2")
    if (redis := shutil.which("redis-server")) is None:
        say("redis-server is not installed (`make test` installs it): the Redis rows are left out")
    else:
        argv = with_port([redis, "--bind", HOST, "--save", "", "--dir", scratch, "--port"])
        url = f"redis://{HOST}:{servers.start('redis', argv, ready=_pong).port}/0"
        variants |= {"mock-redis": ("--state", url), "mock-redis-2w": ("--state", url, "--workers", "2")}
    started = [servers.start(name, mock_argv("specs", *SEEDED, *options)) for name, options in variants.items()]
    return turns(started, workloads, args)


def _pong(server: Server) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, server.port), timeout=1) as conn:
        conn.sendall(b"PING\r\n")
        return conn.recv(16).startswith(b"+PONG")
    return False


def startup(args: argparse.Namespace) -> dict[str, Any]:
    """Until the seed operations answer, and until the largest corpus document is served."""
    seeds = []
    for _ in range(args.startup_runs):
        with Servers() as servers:
            server = servers.start("mock", mock_argv("specs", *SEEDED))
            for w in from_index(index_of(server), SEED_WORKLOADS):
                preflight(server, w)
            seeds.append(time.perf_counter() - server.started_at)
    runs = [growth.startup_of(LARGE_DOCUMENT, *SEEDED) for _ in range(args.startup_runs)]
    large = {
        "document": LARGE_DOCUMENT,
        "operations": runs[-1][2],
        "median_s": round(statistics.median(r[0] for r in runs), 3),
    }
    return {
        "seed": {"median_s": round(statistics.median(seeds), 3), "runs_s": [round(s, 3) for s in seeds]},
        "large": {**large, "rss_mb": max(r[1] for r in runs)},
    }


def check_targets(
    rows: Sequence[Row], seeds: Sequence[str], startup: dict[str, Any], contract: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The targets met or missed: the `mock` rows' (the others are for comparison), the rows
    `RELATIVE` names, the mock on its faster server, start-up, the contract suite's ratio."""
    checks = []

    def check(what: str, met: bool, value: str) -> None:
        checks.append({"what": what, "met": met, "value": value})

    rps = {(r["workload"], r["server"]): _rps(r) for r in rows if _rps(r)}
    for r in (r for r in rows if r["server"] == "mock"):
        w = r["workload"]
        if r.get("ratio") is None:
            check(f"{w}: measured", False, r["problem"] or "no reference row")
            continue
        floor, ratio = SEED_MIN_RATIO if w in seeds else RESOURCE_MIN_RATIO, _rps(r) / rps[w, REFERENCE]
        check(f"{w}: >= {floor} x reference", ratio >= floor, f"{ratio:.2f}")
        if w in seeds:
            check(f"{w}: p99 < {MAX_P99_MS:g} ms", r["p99_ms"] < MAX_P99_MS, f"{r['p99_ms']:.2f} ms")
        check(f"{w}: no errors", r["errors"] == 0, str(r["errors"]))
    for w in seeds:
        for server, base, floor in RELATIVE:
            if (w, server) in rps and (w, base) in rps:
                ratio = rps[w, server] / rps[w, base]
                check(f"{w}: {server} >= {floor} x {base}", ratio >= floor, f"{ratio:.2f}")
        if (w, REFERENCE) in rps and (w, "mock-granian") in rps:
            best, name = max((rps[w, m], m) for m in ("mock", "mock-granian") if (w, m) in rps)
            ratio, floor = best / rps[w, REFERENCE], FASTER_SERVER_MIN_RATIO
            what = f"{w}: the mock on the faster server >= {floor} x reference on uvicorn"
            check(what, ratio >= floor, f"{ratio:.2f} ({name})")
    if seed := startup.get("seed"):
        met = seed["median_s"] < MAX_SEED_STARTUP_S
        check(f"seed specs ready < {MAX_SEED_STARTUP_S} s", met, f"{seed['median_s']} s")
    if large := startup.get("large"):
        what, seconds, rss = (
            f"{large['document']} ({large['operations']} operations)",
            large["median_s"],
            large["rss_mb"],
        )
        check(f"{what} ready < {MAX_LARGE_STARTUP_S:g} s", seconds < MAX_LARGE_STARTUP_S, f"{seconds} s")
        check(f"{what} RSS < {MAX_LARGE_RSS_MB:g} MB", rss < MAX_LARGE_RSS_MB, f"{rss} MB")
    if contract is not None:
        check(contract["target"]["what"], bool(contract["target"]["met"]), str(contract["ratio"]))
    return checks


def run(args: argparse.Namespace) -> int:
    # As `pip install` does: a checkout run with PYTHONDONTWRITEBYTECODE would compile every
    # module at every start of the mock (about 0.1 s here), which no installed copy does.
    compileall.compile_dir(ROOT / "mockserver", quiet=1)
    began = datetime.now(UTC)
    payload: dict[str, Any] = {"started": began.isoformat(timespec="seconds"), "load_average": os.getloadavg()}
    payload["throughput"] = rows = [] if args.no_throughput else throughput(args)
    payload["startup"] = {} if args.no_startup else startup(args)
    if not args.no_contract:
        payload["contract"] = contract_ratio.measure(say)
    if not args.no_growth:
        payload["growth"] = growth.run(args.results, args)
    payload["targets"] = check_targets(rows, SEED_WORKLOADS, payload["startup"], payload.get("contract"))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    payload["commit"] = commit.stdout.strip() or None
    print(markdown.render(payload))
    args.results.mkdir(parents=True, exist_ok=True)
    written = args.results / f"{began:%Y%m%dT%H%M%SZ}.json"
    for path in (written, args.results / "latest.json"):
        path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"results: {written} (and latest.json); load average at the end {os.getloadavg()}")
    return 1 if args.check and not all(c["met"] for c in payload["targets"]) else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # servers are stopped on `kill` as on Ctrl-C
    try:
        return run(args)
    except (BenchError, WorkloadError, OSError) as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped", file=sys.stderr)
        return 130

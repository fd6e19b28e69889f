"""Benchmark the mock on this machine (bench/README.md), in sections: throughput under wrk of
each workload on the bare reference and the mock, on uvicorn and on granian, taking turns in
--rounds slices of --duration seconds; engines (state engines, --dynamic on 1 and 2 workers);
prism; startup (the seed specs, the largest corpus document); contract (the suite beside a raw
st run); growth (stored pets, document size; SVG plots). The report ends with the targets met
or missed (figures, not tests, unless --check); its ratio column is over the reference on uvicorn."""

import argparse
import compileall
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import HOST, ROOT, BenchError, contract_ratio, report, say, wrk
from bench.servers import Server, Servers, mock_argv
from bench.workloads import LIST_ITEMS, MOCK_TARGETS, SEED_WORKLOADS, TABLE, Workload, from_index, recorded
from mockserver.cli import non_negative_int, positive_int
from mockserver.serving_granian import granian_installed

PRISM = ROOT / "bench" / ".node" / "node_modules" / ".bin" / "prism"  # installed by `make bench`
LARGE_DOCUMENT, CORPUS, STORED = "tests/corpus/box.json", ROOT / "tests" / "corpus", (1_000, 10_000, 100_000)
SEEDED = ("--seed-items", str(LIST_ITEMS))
SECTIONS = ("throughput", "granian", "engines", "prism", "startup", "contract", "growth")
# The reference on each server set up as the mock sets it up: one worker, HTTP/1.1, no lifespan, no access log
REFERENCE_OPTIONS = {
    "uvicorn": "--workers 1 --log-level warning --no-access-log --lifespan off --no-proxy-headers",
    "granian": "--interface asginl --workers 1 --http 1 --no-ws --log-level warning",
}
EXAMPLES = """\
examples:
  make bench
  make bench BENCH_ARGS='--workload omi pets-list --skip prism contract'"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__, epilog=EXAMPLES)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter  # the description's lines as they are written
    add = parser.add_argument
    add("--workload", nargs="+", action="extend", choices=TABLE, metavar="NAME", help=f"only these: {', '.join(TABLE)}")
    skips = f"leave sections out: {', '.join(SECTIONS)} (throughput takes granian, engines and prism with it)"
    add("--skip", nargs="+", action="extend", choices=SECTIONS, default=[], metavar="SECTION", help=skips)
    add("--duration", type=positive_int, default=2, metavar="S", help="seconds per slice (default 2)")
    add("--rounds", type=positive_int, default=3, metavar="N", help="slices per server, alternating (default 3)")
    add("--warmup", type=non_negative_int, default=1, metavar="S", help="unmeasured seconds first (default 1)")
    add("--connections", type=positive_int, default=16, metavar="N", help="keep-alive connections (default 16)")
    add("--startup-runs", type=positive_int, default=5, metavar="N", help="start-ups timed per server (default 5)")
    add("--results", type=Path, default=report.RESULTS, metavar="DIR", help="JSON, plots (default bench/results)")
    add("--check", action="store_true", help="exit 1 when a target is missed")
    return parser


def measure(servers: Sequence[Server], w: Workload, args: argparse.Namespace) -> list[report.Row]:
    """Once each server has answered `w` with a 2xx: alternating slices of load, one merged row per server."""
    for server in servers:
        server.answer(w)
    for server in servers if args.warmup else ():
        wrk.run(server.port, w, args.warmup, args.connections)
    slices: dict[str, list[wrk.LoadResult]] = {s.name: [] for s in servers}
    cpu = dict.fromkeys(slices, 0.0)
    for _ in range(args.rounds):
        for server in servers:
            before = server.cpu_seconds()
            slices[server.name].append(wrk.run(server.port, w, args.duration, args.connections))
            cpu[server.name] += server.cpu_seconds() - before
    rows = []
    for name, taken in slices.items():
        result = wrk.merge(taken)
        cpu_us = cpu[name] / result.requests * 1e6 if result.requests and cpu[name] > 0 else None
        figures = f"{result.rps:>8,.0f} req/s  p99 {result.p99_ms:6.2f} ms  CPU {cpu_us or 0:.0f} us"
        say(f"  {w.name:<13} {name:<17} {figures}")
        rows.append(report.row(w.name, name, result, cpu_us))
    return rows


def throughput(args: argparse.Namespace) -> list[report.Row]:
    """The reference and the mock on each server taking turns, the engines beside them, then Prism."""
    on = ["uvicorn"] + (["granian"] if "granian" not in args.skip and granian_installed() else [])
    if "granian" not in args.skip and len(on) == 1:
        say("granian is not installed (`make install` installs the granian extra): its rows are left out")
    named = {"uvicorn": "", "granian": "-granian"}
    with Servers() as servers, tempfile.NamedTemporaryFile("w", suffix=".json") as answers:
        mocks = [servers.start("mock" + named[s], mock_argv(*MOCK_TARGETS, *SEEDED, "--server", s)) for s in on]
        workloads = from_index(mocks[0].index(), args.workload)
        json.dump([recorded(w, *mocks[0].answer(w)) for w in workloads], answers)  # what the reference answers
        answers.flush()
        env, app = {"BENCH_ANSWERS": answers.name}, "bench.workloads:reference_app"
        argv = {s: [sys.executable, "-m", s, "--factory", app, *REFERENCE_OPTIONS[s].split(), "--port"] for s in on}
        references = [servers.start(report.REFERENCE + named[s], argv[s], env) for s in on]
        pairs = [s for pair in zip(references, mocks, strict=True) for s in pair]
        rows = [r for w in workloads for r in measure(pairs, w, args)]
        if "engines" not in args.skip:
            started = [servers.start(name, mock_argv("specs", *SEEDED, *options)) for name, options in engines(servers)]
            rows += [r for w in workloads if w.name in SEED_WORKLOADS for r in measure(started, w, args)]
    return report.with_ratios(rows + ([] if "prism" in args.skip else prism(workloads, args)))


def engines(servers: Servers) -> list[tuple[str, tuple[str, ...]]]:
    """The mock's options for SQLite state, for Redis state (a redis-server of its own; left out,
    with a note, where there is none) with 1 and 2 workers, and for --dynamic answers (no state
    touched; 2 workers want a shared one: SQLite, left untouched) with 1 and 2 workers."""
    scratch = servers.enter_context(tempfile.TemporaryDirectory(prefix="bench-state-"))
    sqlite = ("--state", f"sqlite:///{scratch}/state.db")
    variants = [("mock-sqlite", sqlite), ("mock-dynamic", ("--dynamic", *sqlite))]
    variants.append(("mock-dynamic-2w", ("--dynamic", *sqlite, "--workers", "2")))
    if (redis := shutil.which("redis-server")) is None:
        say("redis-server is not installed (`make test` installs it): the Redis rows are left out")
        return variants
    argv = [redis, "--bind", HOST, "--save", "", "--dir", scratch, "--port"]
    port = servers.start("redis", argv, ready=lambda server: "Ready to accept" in server.output()).port
    url = f"redis://{HOST}:{port}/0"
    return [*variants, ("mock-redis", ("--state", url)), ("mock-redis-2w", ("--state", url, "--workers", "2"))]


def prism(workloads: Sequence[Workload], args: argparse.Namespace) -> list[report.Row]:
    """Each workload on Prism (`prism mock -d`), one document per process at its own paths;
    what goes wrong once Prism runs is the row's note."""
    if not PRISM.exists():
        say(f"Prism is not installed at {PRISM} (`make bench` installs it with npm): left out")
        return []
    rows = []
    for w in workloads:
        spec = next(ROOT / t for t in (f"specs/{w.api}.yaml", f"tests/corpus/{w.api}.yaml") if (ROOT / t).exists())
        with Servers() as servers:
            argv = [str(PRISM), "mock", "-d", "-h", HOST, "--verboseLevel", "error", str(spec), "-p"]
            server = servers.start("prism", argv)
            try:
                rows += measure([server], dataclasses.replace(w, path=w.spec_path), args)
            except (BenchError, OSError, subprocess.SubprocessError) as exc:
                rows.append(report.row(w.name, "prism", None, why=str(exc).splitlines()[0][:120]))
    return rows


def started(*argv: str, runs: int = 1, answering: Sequence[str] = ()) -> dict[str, Any]:
    """A mock of `argv` (documents, options) started `runs` times: the median seconds until it answers
    (until it has answered each workload of `answering` with a 2xx), its largest RSS then, its operations."""
    seconds, rss = [], []
    for _ in range(runs):
        with Servers() as servers:
            server = servers.start("mock", mock_argv(*argv))
            ready_s = time.perf_counter() - server.started_at
            rss.append(server.rss_mb())
            index = server.index()
            for w in from_index(index, answering):
                server.answer(w)
            seconds.append(time.perf_counter() - server.started_at if answering else ready_s)
    figures = {"median_s": round(statistics.median(seconds), 3), "runs_s": [round(s, 3) for s in seconds]}
    return {**figures, "rss_mb": max(rss), "operations": sum(len(api["operations"]) for api in index["apis"])}


def startup(args: argparse.Namespace) -> dict[str, Any]:
    """Until the seed operations answer; until the largest corpus document is served."""
    large = {"document": LARGE_DOCUMENT, **started(LARGE_DOCUMENT, *SEEDED, runs=args.startup_runs)}
    return {"seed": started("specs", *SEEDED, runs=args.startup_runs, answering=SEED_WORKLOADS), "large": large}


def growth(args: argparse.Namespace) -> dict[str, Any]:
    """List and create req/s and RSS against the number of stored pets; start-up and RSS of
    every corpus document the mock serves against its size; both plotted into --results."""
    stored, documents = [], []
    for size in STORED:
        with Servers() as servers:
            options = ("--seed-items", str(size), "--max-items", str(size))
            server = servers.start("mock", mock_argv(str(CORPUS / "petstore-expanded.yaml"), *options))
            before, entry = server.rss_mb(), dict[str, Any](items=size)
            for w in from_index(server.index(), ["pets-list", "pets-create"]):
                # One request first, with time to spare: the first list seeds the collection (RSS is read
                # after it), and each waits out the answers owed to the last run's connections (slow lists).
                server.answer(w, timeout=300)
                entry.setdefault("rss_mb", server.rss_mb())
                result = wrk.run(server.port, w, args.duration, args.connections)
                entry |= {f"{w.name}_rps": round(result.rps, 1), f"{w.name}_errors": result.errors}
            stored.append({**entry, "kb_per_item": round((entry["rss_mb"] - before) * 1024 / size, 2)})
    for path in sorted(p for p in CORPUS.glob("*.*") if p.suffix in (".json", ".yaml")):
        with contextlib.suppress(BenchError):  # a document the mock refuses: the corpus README lists them
            s = started(str(path))
            figures = {"operations": s["operations"], "seconds": s["median_s"], "rss_mb": s["rss_mb"]}
            documents.append({"document": path.name, "kb": round(path.stat().st_size / 1024), **figures})
    points = [(r["items"], r["pets-list_rps"], f"{r['rss_mb']:.0f} MB") for r in stored]
    plot = report.svg(points, "stored pets", "list req/s (label: RSS)", "List throughput against stored resources")
    (args.results / "growth-stored.svg").write_text(plot)
    points = [(r["kb"], r["seconds"], r["document"].split(".")[0]) for r in documents]
    plot = report.svg(points, "document size (KB)", "seconds to ready", "Start-up against document size (corpus)")
    (args.results / "growth-startup.svg").write_text(plot)
    return {"stored": stored, "documents": documents}


def run(args: argparse.Namespace) -> int:
    # As `pip install` does: a checkout run with PYTHONDONTWRITEBYTECODE would compile every
    # module at every start of the mock (about 0.1 s here), which no installed copy does.
    compileall.compile_dir(ROOT / "mockserver", quiet=1)
    args.results.mkdir(parents=True, exist_ok=True)
    began = datetime.now(UTC)
    payload: dict[str, Any] = {"started": began.isoformat(timespec="seconds"), "load_average": os.getloadavg()}
    payload["throughput"] = [] if "throughput" in args.skip else throughput(args)
    if "startup" not in args.skip:
        payload["startup"] = startup(args)
    if "contract" not in args.skip:
        payload["contract"] = contract_ratio.measure()
    if "growth" not in args.skip:
        payload["growth"] = growth(args)
    payload["targets"] = report.check_targets(payload)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    payload["commit"] = commit.stdout.strip() or None
    print(report.render(payload))
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
    except (BenchError, OSError, subprocess.SubprocessError) as exc:  # SubprocessError: a tool's timeout
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped", file=sys.stderr)
        return 130

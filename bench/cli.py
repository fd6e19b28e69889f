"""`python -m bench` (`make bench`): run the sections, print the table, write the JSON."""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from bench import contract, prism, report, startup, throughput
from bench.errors import BenchError
from bench.load import LoadGenerator, PythonLoad, Wrk, find_or_install_wrk, python_load_available
from bench.workloads import ROOT, WORKLOADS, select
from mockserver.cli import positive_int

_DESCRIPTION = """\
Benchmark the mock server on this machine, in one go:

  throughput  the bare Starlette reference (bench/reference.py) and the mock serving all five
              specs, each on its own 127.0.0.1 port with one uvicorn worker, under the same
              load on each API's update operation (a valid, authenticated request); and
              Prism 5 (`prism mock -d`) on each spec where Node.js is present. Reference and
              mock take turns in --rounds slices of --duration seconds, so that other work
              on the machine weighs on both alike. Table: req/s, p50 and p99 latency (p99:
              the worst slice's), errors (HTTP status >= 400 plus socket errors), the ratio
              of req/s to the reference's for the same API in the same run, and the
              server's CPU time per request (the ratio of those is the steadier figure).
  start-up    seconds from process start to the first 2xx answer of all five operations
              (median of --startup-runs), for the mock and, as a floor, the reference.
  contract    wall time of the contract suite (python -m pytest contracts, as `make
              contract`) against the in-process mocks, with tests/s and cases/s.

Load comes from wrk (Debian's package; installed with apt-get when missing, as root) or,
failing that, from a Python generator on uvloop + httptools. Every server is stopped at
the end, also on errors and Ctrl-C. Results: bench/results/<timestamp>.json and latest.json.
"""

_EPILOG = """\
targets (issue 4; figures, not pass/fail tests unless --check): every API >= 0.6 x the
reference's req/s, p99 < 10 ms at 16 connections, no errors; all specs ready < 0.5 s.

examples:
  make bench
  make bench BENCH_ARGS='--duration 5 --api omi --api openhands --no-prism'
  python -m bench --no-contract --load python
"""


def _not_negative(text: str) -> int:
    return 0 if text.strip() == "0" else positive_int(text)


def _port(text: str) -> int:
    value = _not_negative(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is 1-65535 (0: any free port), got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    load = parser.add_argument_group("load")
    load.add_argument(
        "--duration", type=positive_int, default=2, metavar="S", help="seconds of load per slice (default 2)"
    )
    load.add_argument(
        "--rounds",
        type=positive_int,
        default=3,
        metavar="N",
        help="slices per server, alternating reference and mock (default 3: 6 s of load each)",
    )
    load.add_argument(
        "--warmup",
        type=_not_negative,
        default=1,
        metavar="S",
        help="seconds of unmeasured load before each run (default 1; 0: none)",
    )
    load.add_argument(
        "--connections", type=positive_int, default=16, metavar="N", help="keep-alive connections (default 16)"
    )
    load.add_argument("--threads", type=positive_int, default=1, metavar="N", help="wrk threads (default 1)")
    load.add_argument(
        "--load",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk, the Python one, or wrk when it can be had (default auto)",
    )
    load.add_argument(
        "--api",
        action="append",
        metavar="NAME",
        choices=[w.api for w in WORKLOADS],
        help="benchmark only this API (repeatable; default all five)",
    )
    load.add_argument("--reference-port", type=_port, default=0, metavar="PORT", help="default: any free port")
    load.add_argument("--mock-port", type=_port, default=0, metavar="PORT", help="default: any free port")
    sections = parser.add_argument_group("sections")
    sections.add_argument("--no-throughput", action="store_true", help="skip the load runs")
    sections.add_argument("--no-prism", action="store_true", help="leave Prism out")
    sections.add_argument("--no-startup", action="store_true", help="skip the start-up timing")
    sections.add_argument("--no-contract", action="store_true", help="skip timing the contract suite")
    sections.add_argument(
        "--startup-runs", type=positive_int, default=5, metavar="N", help="start-ups to time per server (default 5)"
    )
    sections.add_argument(
        "--contract-timeout",
        type=positive_int,
        default=900,
        metavar="S",
        help="give up on the contract suite after S seconds (default 900)",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--results",
        type=Path,
        default=ROOT / "bench" / "results",
        metavar="DIR",
        help="where the JSON goes (default bench/results)",
    )
    output.add_argument(
        "--no-install", action="store_true", help="do not install wrk (apt-get) or Prism (npm) when missing"
    )
    output.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    return parser


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def choose_generator(kind: str, threads: int, install: bool) -> LoadGenerator:
    if kind in ("auto", "wrk"):
        wrk = find_or_install_wrk(install, say)
        if wrk is not None:
            return Wrk(wrk, threads)
        if kind == "wrk":
            raise BenchError("wrk is not available (install Debian's package: apt-get install wrk)")
        say("falling back to the Python load generator")
    if not python_load_available():
        raise BenchError("no load generator: wrk is missing and httptools is not installed")
    return PythonLoad()


def conditions(generator: LoadGenerator | None, args: argparse.Namespace) -> dict[str, Any]:
    def version(module: str) -> str:
        try:
            from importlib.metadata import version as dist_version

            return dist_version(module)
        except Exception:
            return "unknown"

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "uvicorn": version("uvicorn"),
        "starlette": version("starlette"),
        "commit": commit or None,
        "slice_s": args.duration,
        "rounds": args.rounds,
        "warmup_s": args.warmup,
        "connections": args.connections,
    }
    if generator is not None:
        info["load_generator"] = generator.name
        if isinstance(generator, Wrk):
            info["wrk"] = {"version": generator.version, "threads": generator.threads}
    return info


def run(args: argparse.Namespace) -> int:
    workloads = select(args.api)
    started = datetime.now(UTC)
    payload: dict[str, Any] = {"started": started.isoformat(timespec="seconds")}
    generator: LoadGenerator | None = None
    startup_s: float | None = None
    install = not args.no_install

    if not args.no_startup:
        say(f"start-up: {args.startup_runs} runs per server ...")
        results = [
            startup.measure("mock", throughput.mock_argv, ROOT, workloads, args.startup_runs),
            startup.measure("reference", throughput.reference_argv, ROOT, workloads, args.startup_runs),
        ]
        payload["startup"] = [r.as_dict() for r in results]
        startup_s = results[0].median()
        for r in results:
            say(
                f"  {r.server:<9} all {len(workloads)} operations answering after {r.median():.3f} s (median; runs "
                + ", ".join(f"{run['all']:.3f}" for run in r.runs)
                + ")"
            )

    rows: list[report.Row] = []
    if not args.no_throughput:
        generator = choose_generator(args.load, args.threads, install)
        prism_executable = None
        if not args.no_prism:
            prism_executable = prism.find_or_install(ROOT / "bench" / ".node", install, say)
        plan = throughput.LoadPlan(args.duration, args.warmup, args.connections, args.rounds)
        say(
            f"throughput: {generator.name}, {args.connections} connections, {args.rounds} x {args.duration} s "
            f"per server and API, alternating (+{args.warmup} s warm-up) ..."
        )
        rows = report.with_ratios(
            throughput.run(
                ROOT, workloads, generator, plan, prism_executable, (args.reference_port, args.mock_port), say
            )
        )
        payload["throughput"] = [row.as_dict() for row in rows]
        by_cpu = {w.api: report.cpu_ratio(rows, w.api) for w in workloads}
        payload["cpu_ratio"] = {api: round(x, 3) for api, x in by_cpu.items() if x is not None}
        payload["mock_over_prism"] = {api: round(x, 2) for api, x in report.mock_over_prism(rows).items()}
        if prism_executable is not None:
            payload["prism_version"] = prism.installed_version(ROOT / "bench" / ".node")

    if not args.no_contract:
        say("contract suite: python -m pytest contracts ...")
        result = contract.run(ROOT, sys.executable, args.contract_timeout)
        payload["contract"] = result.as_dict()

    payload["conditions"] = conditions(generator, args)
    checks = report.check_targets(rows, startup_s)
    payload["targets"] = [{"what": c.what, "met": c.met, "value": c.detail} for c in checks]

    print()
    if rows:
        print(report.table(rows))
        print()
    if "startup" in payload:
        for entry in payload["startup"]:
            print(f"start-up ({entry['server']}): {entry['median_s']['all']:.3f} s median to all operations answering")
    if "contract" in payload:
        print(contract_line(payload["contract"]))
    if checks:
        print("\ntargets:")
        print(report.checklist(checks))
    written = report.write(args.results, payload, started)
    print(f"\nresults: {_shown(written)} and {_shown(written.with_name('latest.json'))}")
    print(
        f"conditions: {payload['conditions']['cpus']} CPUs, load average at the end "
        f"{payload['conditions']['load_average']}; other work on the machine shifts absolute numbers, "
        "the ratios within one run are what to compare"
    )
    if args.check and not all(c.met for c in checks):
        return 1
    return 0


def contract_line(data: dict[str, Any]) -> str:
    if data["status"] != "ran":
        return f"contract suite: {data['status']}: {data['note']}"
    cases = (
        "cases unknown (the suite reported none)"
        if data["cases"] is None
        else f"{data['cases']} cases ({data['cases_per_s']} cases/s)"
    )
    if data.get("requests") is not None:
        cases += f", {data['requests']} requests"
    failed = f", {data['note']}" if data["note"] else ""
    tests = f"{data['tests']} tests ({data['tests_per_s']} tests/s)"
    return f"contract suite: {data['seconds']} s, {tests}, {cases}{failed}"


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # stop the servers on `kill` as on Ctrl-C
    try:
        return run(args)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped", file=sys.stderr)
        return 130

"""Throughput and latency: the bare reference, the mock (all five specs in one process) and
Prism (one spec per process), each on its own 127.0.0.1 port, under the same load.

Reference and mock stay up for the whole section and take turns, API by API, in slices of
a few seconds, so that the ratio of the two is measured under the same background load.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import prism
from bench.errors import BenchError
from bench.load import LoadGenerator, LoadResult, LoadSpec, merge
from bench.report import MOCK, PRISM, REFERENCE, Row
from bench.servers import HOST, ServerPool, ServerProcess, call, ensure_port_free, free_port
from bench.workloads import LIST_ITEMS, MOCK_TARGETS, TOKEN, Workload, check_listing

READY_TIMEOUT = 30.0
PRISM_READY_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class LoadPlan:
    duration: int  # seconds per slice
    warmup: int
    connections: int
    rounds: int = 1  # slices per server, alternating between the servers of one API


def mock_argv(port: int) -> list[str]:
    targets = list(MOCK_TARGETS)
    options = ["--port", str(port), "--quiet", "--token", TOKEN, "--seed-items", str(LIST_ITEMS)]
    return [sys.executable, "-m", "mockserver", "serve", *targets, *options]


def reference_argv(port: int) -> list[str]:
    # the mock's CLI runs uvicorn with these settings (loop and http "auto": uvloop, httptools)
    options = (
        f"--host {HOST} --port {port} --workers 1 --log-level warning --no-access-log --lifespan off --no-proxy-headers"
    )
    return [sys.executable, "-m", "uvicorn", "bench.reference:app", *options.split()]


def load_spec(workload: Workload, plan: LoadPlan, path: str | None = None, duration: int | None = None) -> LoadSpec:
    return LoadSpec(
        workload.method,
        path or workload.path,
        workload.headers(),
        workload.body_bytes,
        duration if duration is not None else plan.duration,
        plan.connections,
    )


def preflight(server: ServerProcess, workload: Workload, path: str | None = None) -> str:
    """'' when one request of the workload gets a 2xx answer, else what went wrong."""
    try:
        status, body = call(
            server.port, workload.method, path or workload.path, workload.body_bytes, workload.headers()
        )
    except OSError as exc:
        return f"no answer from {server.name}: {exc}"
    if 200 <= status < 300:
        return ""
    return f"{server.name} answered {status} to {workload.method} {path or workload.path}: {body[:300]!r}"


def _ready(server: ServerProcess, probe: Callable[[], bool], timeout: float) -> None:
    server.wait_ready(probe, timeout, interval=0.05)


def _answers(port: int, path: str = "/") -> Callable[[], bool]:
    def probe() -> bool:
        try:
            call(port, "GET", path, timeout=2.0)
        except OSError:
            return False
        return True

    return probe


def measure(
    servers: Sequence[tuple[ServerProcess, str | None]],
    workload: Workload,
    generator: LoadGenerator,
    plan: LoadPlan,
    say: Callable[[str], None],
) -> list[Row]:
    """Load each server (with its path, None: the mock's) in `plan.rounds` alternating slices,
    so that a change in background load hits all of them alike; one merged row per server."""
    rows: dict[int, Row] = {}
    ready = []
    for index, (server, path) in enumerate(servers):
        problem = preflight(server, workload, path)
        if problem:
            rows[index] = Row(workload.api, _kind(server), None, problem)
        else:
            ready.append((index, server, path))
    for _, server, path in ready:
        if plan.warmup > 0:
            generator.run(server.port, load_spec(workload, plan, path, plan.warmup))
    slices: dict[int, list[LoadResult]] = {index: [] for index, _, _ in ready}
    cpu: dict[int, float | None] = {index: 0.0 for index, _, _ in ready}
    for _ in range(plan.rounds):
        for index, server, path in ready:
            before = server.cpu_seconds()
            slices[index].append(generator.run(server.port, load_spec(workload, plan, path)))
            after = server.cpu_seconds()
            spent = cpu[index]
            cpu[index] = None if spent is None or before is None or after is None else spent + after - before
    for index, server, _ in ready:
        result = merge(slices[index])
        spent = cpu[index]
        cpu_us = spent / result.requests * 1e6 if spent is not None and result.requests else None
        say(
            f"  {workload.api:<13} {_kind(server):<9} {result.rps:>9,.0f} req/s  p50 {result.p50_ms:6.2f} ms  "
            f"p99 {result.p99_ms:6.2f} ms  errors {result.errors}"
            + ("" if cpu_us is None else f"  CPU {cpu_us:.0f} us/req")
        )
        rows[index] = Row(workload.api, _kind(server), result, cpu_us=cpu_us)
    return [rows[index] for index in sorted(rows)]


def _kind(server: ServerProcess) -> str:
    return server.name.split(":")[0]


def run(
    root: Path,
    workloads: Sequence[Workload],
    generator: LoadGenerator,
    plan: LoadPlan,
    prism_executable: Path | None,
    ports: tuple[int, int],
    say: Callable[[str], None],
) -> list[Row]:
    rows: list[Row] = []
    reference_port, mock_port = (port or free_port() for port in ports)
    for port in (reference_port, mock_port):
        ensure_port_free(port)
    with ServerPool() as pool:
        reference = pool.start(ServerProcess(REFERENCE, reference_argv(reference_port), reference_port, root))
        mock = pool.start(ServerProcess(MOCK, mock_argv(mock_port), mock_port, root))
        _ready(reference, _answers(reference_port), READY_TIMEOUT)
        _ready(mock, _answers(mock_port), READY_TIMEOUT)
        try:
            listing = json.loads(call(mock_port, "GET", "/")[1])
        except (OSError, ValueError) as exc:
            raise BenchError(f"the mock's GET / did not list its operations: {exc}") from exc
        check_listing(listing, workloads)
        for workload in workloads:
            rows.extend(measure([(reference, None), (mock, None)], workload, generator, plan, say))
    if prism_executable is not None:
        for workload in workloads:
            rows.append(_measure_prism(root, prism_executable, workload, generator, plan, say))
    return rows


def _measure_prism(
    root: Path,
    executable: Path,
    workload: Workload,
    generator: LoadGenerator,
    plan: LoadPlan,
    say: Callable[[str], None],
) -> Row:
    port = free_port()
    spec = root / workload.spec_file
    with ServerPool() as pool:
        server = pool.start(
            ServerProcess(f"{PRISM}:{workload.api}", prism.command(executable, spec, port, HOST), port, root)
        )
        try:
            _ready(server, _answers(port), PRISM_READY_TIMEOUT)
        except BenchError as exc:
            return Row(workload.api, PRISM, None, str(exc).splitlines()[0])
        return measure([(server, workload.spec_path + workload.query)], workload, generator, plan, say)[0]

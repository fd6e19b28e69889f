"""Start-up: seconds from process start to the first successful (2xx) answer of every
benchmarked operation, repeated and summarised by the median."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.errors import BenchError
from bench.servers import ServerPool, ServerProcess, call, free_port
from bench.workloads import Workload

READY_TIMEOUT = 30.0
POLL_INTERVAL = 0.003


@dataclass(frozen=True, slots=True)
class StartupResult:
    server: str
    runs: list[dict[str, float]]  # per run: API -> seconds to its first 2xx, "all" -> the last of them

    def median(self, key: str = "all") -> float:
        return statistics.median(run[key] for run in self.runs)

    def as_dict(self) -> dict[str, Any]:
        keys = list(self.runs[0]) if self.runs else []
        return {
            "server": self.server,
            "median_s": {k: round(self.median(k), 4) for k in keys},
            "runs_s": [round(run["all"], 4) for run in self.runs],
        }


def answered(port: int, workload: Workload) -> bool:
    try:
        status, _ = call(port, workload.method, workload.path, workload.body_bytes, workload.headers(), timeout=2.0)
    except OSError:
        return False
    return 200 <= status < 300


def measure_once(
    name: str, argv_for_port: Callable[[int], Sequence[str]], cwd: Any, workloads: Sequence[Workload]
) -> dict[str, float]:
    port = free_port()
    server = ServerProcess(name, argv_for_port(port), port, cwd)
    times: dict[str, float] = {}
    with ServerPool() as pool:
        pool.start(server)
        pending = list(workloads)

        def all_answered() -> bool:
            for workload in list(pending):
                if not answered(port, workload):
                    return False
                times[workload.api] = server.elapsed()
                pending.remove(workload)
            return True

        server.wait_ready(all_answered, READY_TIMEOUT, POLL_INTERVAL)
    if not times:
        raise BenchError(f"{name}: no operation to time")
    times["all"] = max(times.values())
    return times


def measure(
    name: str, argv_for_port: Callable[[int], Sequence[str]], cwd: Any, workloads: Sequence[Workload], runs: int
) -> StartupResult:
    return StartupResult(name, [measure_once(name, argv_for_port, cwd, workloads) for _ in range(runs)])

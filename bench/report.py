"""Results: ratios to the bare reference on uvicorn, the targets of issue 11 (some of them
ratios between two other rows of a workload), the table, the JSON files in bench/results/
(a timestamped one and latest.json)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.wrk import LoadResult

REFERENCE = "reference"
SEED_MIN_RATIO = 0.85  # the five seed updates, mock over reference on the same server
RESOURCE_MIN_RATIO = 0.6  # the corpus list and create
MAX_P99_MS = 10.0
MAX_SEED_STARTUP_S = 0.5
MAX_LARGE_STARTUP_S = 2.0
MAX_LARGE_RSS_MB = 250.0
FASTER_SERVER_MIN_RATIO = 1.0  # the mock on its faster server over the reference on uvicorn
# (server, over server, floor) for the seed workloads, where both rows were measured
RELATIVE = (
    ("mock-granian", "reference-granian", SEED_MIN_RATIO),  # the mock against the bare app, on granian
    ("mock-sqlite", "mock", 0.5),
    ("mock-redis-2w", "mock", 1.0),
    ("mock-dynamic-2w", "mock-dynamic", 1.6),
)


@dataclass(frozen=True, slots=True)
class Row:
    workload: str
    server: str
    result: LoadResult | None
    cpu_us: float | None = None  # the server's CPU time per answered request
    ratio: float | None = None  # req/s over the reference's for the same workload in the same run
    problem: str = ""  # why there is no result

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"workload": self.workload, "server": self.server, "problem": self.problem or None}
        data.update(self.result.as_dict() if self.result else {})
        data["ratio"] = None if self.ratio is None else round(self.ratio, 3)
        data["cpu_us_per_request"] = None if self.cpu_us is None else round(self.cpu_us, 1)
        return data


def with_ratios(rows: Sequence[Row]) -> list[Row]:
    reference = {r.workload: r.result.rps for r in rows if r.server == REFERENCE and r.result and r.result.rps}
    return [
        Row(r.workload, r.server, r.result, r.cpu_us, r.result.rps / reference[r.workload], r.problem)
        if r.result is not None and r.workload in reference
        else r
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class Check:
    what: str
    met: bool
    value: str


def check_targets(
    rows: Sequence[Row], seeds: Sequence[str], startup: dict[str, Any], contract: dict[str, Any] | None = None
) -> list[Check]:
    """Targets for the `mock` rows (the others are shown for comparison), the start-ups and
    the contract suite's ratio (`contract_ratio.Ratio.as_dict`)."""
    checks = []
    for row in rows:
        if row.server != "mock":
            continue
        if row.result is None or row.ratio is None:
            checks.append(Check(f"{row.workload}: measured", False, row.problem or "no reference row"))
            continue
        floor = SEED_MIN_RATIO if row.workload in seeds else RESOURCE_MIN_RATIO
        checks.append(Check(f"{row.workload}: >= {floor} x reference", row.ratio >= floor, f"{row.ratio:.2f}"))
        if row.workload in seeds:
            p99 = row.result.p99_ms
            checks.append(Check(f"{row.workload}: p99 < {MAX_P99_MS:g} ms", p99 < MAX_P99_MS, f"{p99:.2f} ms"))
        checks.append(Check(f"{row.workload}: no errors", row.result.errors == 0, str(row.result.errors)))
    checks += relative_checks(rows, seeds)
    if "seed" in startup:
        seconds = startup["seed"]["median_s"]
        checks.append(Check(f"seed specs ready < {MAX_SEED_STARTUP_S} s", seconds < MAX_SEED_STARTUP_S, f"{seconds} s"))
    if "large" in startup:
        large = startup["large"]
        what = f"{large['document']} ({large['operations']} operations)"
        ok = large["median_s"] < MAX_LARGE_STARTUP_S
        checks.append(Check(f"{what} ready < {MAX_LARGE_STARTUP_S:g} s", ok, f"{large['median_s']} s"))
        ok = large["rss_mb"] < MAX_LARGE_RSS_MB
        checks.append(Check(f"{what} RSS < {MAX_LARGE_RSS_MB:g} MB", ok, f"{large['rss_mb']} MB"))
    if contract is not None:
        target = contract["target"]
        checks.append(Check(str(target["what"]), bool(target["met"]), str(contract["ratio"])))
    return checks


def relative_checks(rows: Sequence[Row], seeds: Sequence[str]) -> list[Check]:
    """The `RELATIVE` targets, and the mock on its faster server against the reference on
    uvicorn, per seed workload, where the rows were measured."""
    rps = {(r.workload, r.server): r.result.rps for r in rows if r.result is not None and r.result.rps}
    checks = []
    for workload in seeds:
        for server, base, floor in RELATIVE:
            if (workload, server) in rps and (workload, base) in rps:
                ratio = rps[workload, server] / rps[workload, base]
                checks.append(Check(f"{workload}: {server} >= {floor} x {base}", ratio >= floor, f"{ratio:.2f}"))
        mocks = [(rps[workload, m], m) for m in ("mock", "mock-granian") if (workload, m) in rps]
        if mocks and (workload, REFERENCE) in rps and (workload, "mock-granian") in rps:
            best, name = max(mocks)
            ratio = best / rps[workload, REFERENCE]
            what = f"{workload}: the mock on the faster server >= {FASTER_SERVER_MIN_RATIO} x reference on uvicorn"
            checks.append(Check(what, ratio >= FASTER_SERVER_MIN_RATIO, f"{ratio:.2f} ({name})"))
    return checks


def table(rows: Sequence[Row]) -> str:
    header = ["workload", "server", "req/s", "p50 ms", "p99 ms", "errors", "ratio", "CPU us/req", "note"]
    lines = [header]
    for r in rows:
        res = r.result
        cells = [f"{res.rps:,.0f}", f"{res.p50_ms:.2f}", f"{res.p99_ms:.2f}", str(res.errors)] if res else ["-"] * 4
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}"
        lines.append([r.workload, r.server, *cells, ratio, "-" if r.cpu_us is None else f"{r.cpu_us:.0f}", r.problem])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def fmt(line: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if 2 <= i <= 7 else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()

    return "\n".join([fmt(header), "  ".join("-" * w for w in widths), *(fmt(line) for line in lines[1:])])


def checklist(checks: Sequence[Check]) -> str:
    return "\n".join(f"  [{'x' if c.met else ' '}] {c.what}: {c.value}" for c in checks)


def read_latest(folder: Path) -> dict[str, Any]:
    """The payload of the latest run (`latest.json` in `folder`)."""
    path = folder / "latest.json"
    try:
        payload: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise OSError(f"{path}: no results yet (run `make bench`)") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from None
    return payload


def write(folder: Path, payload: dict[str, Any], now: datetime) -> Path:
    """`payload` as <timestamp>.json and latest.json; returns the timestamped path."""
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, indent=2) + "\n"
    path = folder / f"{now.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(text)
    (folder / "latest.json").write_text(text)
    return path

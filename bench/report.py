"""Results: ratios to the bare reference, the targets of issue 4, the printed table and
the JSON files in bench/results/ (a timestamped one and latest.json)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.load import LoadResult

REFERENCE = "reference"
MOCK = "mock"
PRISM = "prism"

MIN_RATIO = 0.6
MAX_P99_MS = 10.0
MAX_STARTUP_S = 0.5


@dataclass(frozen=True, slots=True)
class Row:
    api: str
    server: str
    result: LoadResult | None
    problem: str = ""  # why there is no result
    ratio: float | None = None  # req/s over the reference's for the same API in the same run
    cpu_us: float | None = None  # the server's CPU time per answered request, in microseconds

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"api": self.api, "server": self.server}
        if self.result is not None:
            data.update(self.result.as_dict())
        data["ratio"] = None if self.ratio is None else round(self.ratio, 3)
        data["cpu_us_per_request"] = None if self.cpu_us is None else round(self.cpu_us, 1)
        if self.problem:
            data["problem"] = self.problem
        return data


def ratio(value: float, reference: float) -> float | None:
    return value / reference if reference > 0 else None


_SERVER_ORDER = {REFERENCE: 0, MOCK: 1, PRISM: 2}


def with_ratios(rows: Sequence[Row]) -> list[Row]:
    """Each row with its req/s divided by the reference's for the same API, grouped by API."""
    reference = {r.api: r.result.rps for r in rows if r.server == REFERENCE and r.result is not None}
    apis = list(dict.fromkeys(r.api for r in rows))
    out = []
    for row in rows:
        value = None
        if row.result is not None and row.api in reference:
            value = ratio(row.result.rps, reference[row.api])
        out.append(Row(row.api, row.server, row.result, row.problem, value, row.cpu_us))
    return sorted(out, key=lambda r: (apis.index(r.api), _SERVER_ORDER.get(r.server, 9)))


def mock_over_prism(rows: Sequence[Row]) -> dict[str, float]:
    """Per API, how many times the mock's req/s Prism's is."""
    mock = {r.api: r.result.rps for r in rows if r.server == MOCK and r.result is not None}
    out = {}
    for row in rows:
        if row.server == PRISM and row.result is not None and row.api in mock:
            value = ratio(mock[row.api], row.result.rps)
            if value is not None:
                out[row.api] = value
    return out


@dataclass(frozen=True, slots=True)
class Check:
    what: str
    met: bool
    detail: str


def cpu_ratio(rows: Sequence[Row], api: str, server: str = MOCK) -> float | None:
    """The reference's CPU time per request over `server`'s: the throughput ratio the CPU
    allows, which other work on the machine disturbs far less than req/s."""
    cpu = {r.server: r.cpu_us for r in rows if r.api == api}
    reference, other = cpu.get(REFERENCE), cpu.get(server)
    return None if reference is None or not other else reference / other


def check_targets(rows: Sequence[Row], startup_s: float | None) -> list[Check]:
    checks = []
    for row in rows:
        if row.server != MOCK:
            continue
        if row.result is None:
            checks.append(Check(f"{row.api}: measured", False, row.problem))
            continue
        if row.ratio is not None:
            by_cpu = cpu_ratio(rows, row.api)
            detail = f"{row.ratio:.2f}" + ("" if by_cpu is None else f" (by CPU time per request: {by_cpu:.2f})")
            checks.append(Check(f"{row.api}: req/s >= {MIN_RATIO} x reference", row.ratio >= MIN_RATIO, detail))
        reference = next((r.result for r in rows if r.api == row.api and r.server == REFERENCE and r.result), None)
        p99 = f"{row.result.p99_ms:.2f} ms" + ("" if reference is None else f" (reference: {reference.p99_ms:.2f} ms)")
        checks.append(Check(f"{row.api}: p99 < {MAX_P99_MS:g} ms", row.result.p99_ms < MAX_P99_MS, p99))
        checks.append(Check(f"{row.api}: no errors", row.result.errors == 0, str(row.result.errors)))
    if startup_s is not None:
        checks.append(
            Check(
                f"start-up of all specs < {MAX_STARTUP_S:g} s", startup_s < MAX_STARTUP_S, f"{startup_s:.3f} s (median)"
            )
        )
    return checks


def _cells(row: Row) -> list[str]:
    if row.result is None:
        return [row.api, row.server, "-", "-", "-", "-", "-", "-", row.problem]
    r = row.result
    errors = f"{r.errors}" + (f" ({r.status_errors} http, {r.socket_errors} socket)" if r.errors else "")
    return [
        row.api,
        row.server,
        f"{r.rps:,.0f}",
        f"{r.p50_ms:.2f}",
        f"{r.p99_ms:.2f}",
        errors,
        "-" if row.ratio is None else f"{row.ratio:.2f}",
        "-" if row.cpu_us is None else f"{row.cpu_us:.0f}",
        "",
    ]


def table(rows: Sequence[Row]) -> str:
    header = ["API", "server", "req/s", "p50 ms", "p99 ms", "errors", "ratio", "CPU us/req", "note"]
    versus_prism = mock_over_prism(rows)
    lines = [header]
    for row in rows:
        cells = _cells(row)
        if row.server == PRISM and row.api in versus_prism:
            cells[-1] = f"the mock does {versus_prism[row.api]:.1f}x Prism's req/s"
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    numeric = {2, 3, 4, 6, 7}

    def fmt(line: list[str]) -> str:
        cells = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), rule, *(fmt(line) for line in lines[1:])])


def checklist(checks: Sequence[Check]) -> str:
    return "\n".join(f"  [{'x' if c.met else ' '}] {c.what}: {c.detail}" for c in checks)


def write(results_dir: Path, payload: dict[str, Any], now: datetime) -> Path:
    """Write `payload` as <timestamp>.json and latest.json; returns the timestamped path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, indent=2) + "\n"
    path = results_dir / f"{now.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(text)
    (results_dir / "latest.json").write_text(text)
    return path

"""What the contract suite costs beside Schemathesis alone: cases per second of `pytest
contracts` and of a raw `st run` of the same operations, modes, phases and examples, against
the same target (the five seed mocks, one `mockserver serve` process on a real socket).

    start the mock -> per API: the suite (--base-url, --token) -> st run (same seed,
      --max-examples, phases examples,coverage,fuzzing, modes positive and negative, every
      built-in check but the undeclared-method ones, no shrinking, continue on failure, the
      credential through Schemathesis' auth configuration as the suite applies it)
      -> cases and seconds of each -> ratio = suite cases/s / st run cases/s (target >= 0.8)

Both run as child processes, one after the other. Seconds are each tool's own running time
(the suite's `<api>.seconds` JUnit property, st run's `running_time` in its JSON report), so
the interpreter start-up, which both pay, is left out of the ratio; the wall times, start-up
included, are kept beside it. Cases are the suite's `<api>.cases` (its 5 unusual-input cases
included; its second updates and lifecycle requests are not cases) and st run's
`test_cases.generated`. The suite also makes its semantic checks on every response: the ratio
is what they and its bookkeeping cost.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.servers import BenchError, Server, Servers, free_port
from contracts.contract import compile_contract
from contracts.credentials import used_schemes
from mockserver.loader import load_spec

APIS = ("datagrid", "library-chat", "mielto", "omi", "openhands")
TOKEN = "bench-token"
SEED = 20240601
MAX_EXAMPLES = 100  # the suite's default
MIN_RATIO = 0.8
TARGET = f"contract suite >= {MIN_RATIO} x st run cases/s"
_TIMEOUT = 900


@dataclass(frozen=True)
class Counts:
    cases: int
    seconds: float


@dataclass(frozen=True)
class Ratio:
    apis: tuple[str, ...]
    suite: Counts
    st_run: Counts
    suite_wall: float
    st_run_wall: float

    @property
    def ratio(self) -> float | None:
        """Suite cases/s over st run cases/s (from the unrounded rates)."""
        if not (self.suite.seconds > 0 and self.st_run.seconds > 0 and self.st_run.cases):
            return None
        return round((self.suite.cases / self.suite.seconds) / (self.st_run.cases / self.st_run.seconds), 3)

    def as_dict(self) -> dict[str, object]:
        return {
            "apis": list(self.apis),
            "suite": {**asdict(self.suite), "cases_per_s": _per_second(self.suite), "wall_s": self.suite_wall},
            "st_run": {**asdict(self.st_run), "cases_per_s": _per_second(self.st_run), "wall_s": self.st_run_wall},
            "ratio": self.ratio,
            "target": {"what": TARGET, "met": (self.ratio or 0) >= MIN_RATIO},
        }


def _per_second(counts: Counts) -> float | None:
    return round(counts.cases / counts.seconds, 1) if counts.seconds > 0 else None


def suite_counts(junit: str) -> Counts:
    """Cases and seconds from the suite's JUnit report (its `<api>.cases` / `<api>.seconds`)."""
    cases, seconds = 0, 0.0
    for prop in ET.fromstring(junit).iter("property"):
        name, value = prop.get("name", ""), prop.get("value", "0")
        if name.endswith(".cases"):
            cases += int(value)
        elif name.endswith(".seconds"):
            seconds += float(value)
    return Counts(cases, round(seconds, 2))


def st_run_counts(report: str) -> Counts:
    """Cases and seconds from `st run --report json`."""
    data = json.loads(report)
    return Counts(int(data["test_cases"]["generated"]), round(float(data["running_time"]), 2))


def st_run_config(spec: Path, token: str) -> str:
    """The configuration file for `st run`: the suite's credentials per security scheme and
    its coverage setting for a live target (no undeclared methods)."""
    contract = compile_contract(spec, token, live=True, path_params={})
    lines = ["[phases.coverage]", "unexpected-methods = []"]
    operations = [operation.compiled for operation in contract.operations.values()]
    auth = contract.credentials.schemathesis_auth(used_schemes(operations))
    for scheme, settings in auth.items():
        lines.append(f"[auth.openapi.{json.dumps(scheme)}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def suite_argv(api: str, base_url: str, junit: Path) -> list[str]:
    return [
        sys.executable, "-m", "pytest", "contracts", "-q", "-p", "no:cacheprovider", "--api", api,
        "--base-url", base_url, "--token", TOKEN, "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
        f"--junitxml={junit}",
    ]  # fmt: skip


def st_run_argv(spec: Path, base_url: str, config: Path, report: Path) -> list[str]:
    return [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", str(spec),
        "--url", base_url, "--seed", str(SEED),
        "--max-examples", str(MAX_EXAMPLES), "--mode", "all", "--phases", "examples,coverage,fuzzing",
        "--exclude-checks", "unsupported_method,allow_header_conformance", "--continue-on-failure", "--no-shrink",
        "--generation-database", "none", "--request-timeout", "10", "--report", "json", "--report-json-path",
        str(report),
    ]  # fmt: skip


def measure(root: Path, say: Callable[[str], None], apis: Sequence[str] = APIS) -> Ratio:
    """Run both on every API of `apis` against one mock on a real socket."""
    suite, st_run, walls = Counts(0, 0.0), Counts(0, 0.0), [0.0, 0.0]
    env = {name: value for name, value in os.environ.items() if not name.startswith("CONTRACT_")}
    with Servers() as servers, tempfile.TemporaryDirectory() as scratch:
        port = free_port()
        argv = [sys.executable, "-m", "mockserver", "serve", "specs", "--quiet", "--token", TOKEN, "--port", str(port)]
        mock = servers.start(Server("mock", argv, port, root))
        mock.wait_until(mock.answers, interval=0.05)
        for api in apis:
            spec = root / "specs" / f"{api}.yaml"
            base_url = f"http://127.0.0.1:{port}/{api}{load_spec(spec).server_path}"
            junit, report, config = (Path(scratch) / f"{api}.{ext}" for ext in ("xml", "json", "toml"))
            config.write_text(st_run_config(spec, TOKEN))
            say(f"contract ratio: {api}: the suite, then st run")
            for index, (command, out) in enumerate(
                ((suite_argv(api, base_url, junit), junit), (st_run_argv(spec, base_url, config, report), report))
            ):
                began = time.perf_counter()
                done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=_TIMEOUT)
                walls[index] += time.perf_counter() - began
                if not out.exists():
                    what = f"{' '.join(command[1:3])} {api}"
                    raise BenchError(f"{what} wrote no report (exit {done.returncode}): {done.stdout[-500:]}")
            suite = _add(suite, suite_counts(junit.read_text()))
            st_run = _add(st_run, st_run_counts(report.read_text()))
    return Ratio(tuple(apis), suite, st_run, round(walls[0], 2), round(walls[1], 2))


def _add(first: Counts, second: Counts) -> Counts:
    return Counts(first.cases + second.cases, round(first.seconds + second.seconds, 2))


def table(entry: dict[str, object]) -> str:
    """The result as a row under its header."""
    suite, st_run = entry["suite"], entry["st_run"]
    assert isinstance(suite, dict) and isinstance(st_run, dict)
    header = ["suite cases", "suite s", "suite cases/s", "st run cases", "st run s", "st run cases/s", "ratio"]
    row = [suite["cases"], suite["seconds"], suite["cases_per_s"], st_run["cases"], st_run["seconds"]]
    row += [st_run["cases_per_s"], f"{entry['ratio']} (target >= {MIN_RATIO})"]
    cells = [header, [str(value) for value in row]]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)) for line in cells]
    walls = f"wall time with start-up: suite {suite['wall_s']} s, st run {st_run['wall_s']} s"
    return "contract suite vs st run (same cases, same mock):\n  " + "\n  ".join(lines) + f"\n  {walls}"

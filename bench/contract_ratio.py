"""What the contract suite's semantic checks cost: cases/s of `pytest contracts --base-url` over a raw
`st run` of the same operations, modes, phases, examples, seed and credentials, one after the other
against one mock of the seed specs. Cases and seconds are what each tool reports (the suite's JUnit
properties `<api>.cases` and `<api>.seconds`; st run's `test_cases.generated` and `running_time`),
so the interpreter start-up both pay is left out (the wall times are kept beside)."""

import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from bench import HOST, ROOT, BenchError, say
from bench.servers import Servers, mock_argv
from bench.workloads import SEED_WORKLOADS, TOKEN
from contracts.contract import compile_contract
from contracts.credentials import used_schemes
from mockserver.loader import load_spec

SEED, MAX_EXAMPLES = 20240601, 100  # the suite's default number of examples


class Counts(NamedTuple):
    cases: int
    seconds: float


def suite_counts(junit: str) -> Counts:
    """Cases and seconds from the suite's JUnit report (its `<api>.cases` / `<api>.seconds`)."""
    props = [(p.get("name", ""), p.get("value", "0")) for p in ET.fromstring(junit).iter("property")]
    cases = sum(int(value) for name, value in props if name.endswith(".cases"))
    return Counts(cases, round(sum(float(value) for name, value in props if name.endswith(".seconds")), 2))


def st_run_counts(report: str) -> Counts:
    """Cases and seconds from `st run --report json`."""
    data = json.loads(report)
    return Counts(int(data["test_cases"]["generated"]), round(float(data["running_time"]), 2))


def st_run_config(spec: Path, token: str) -> str:
    """`st run`'s configuration file: the suite's credentials per scheme, its coverage setting for a live
    target (no undeclared methods)."""
    contract = compile_contract(spec, token, live=True, path_params={})
    lines = ["[phases.coverage]", "unexpected-methods = []"]
    auth = contract.credentials.schemathesis_auth(used_schemes([op.compiled for op in contract.operations.values()]))
    for scheme, settings in auth.items():
        lines.append(f"[auth.openapi.{json.dumps(scheme)}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


Tool = tuple[list[str], Path, Callable[[str], Counts]]  # a command line, the report it writes, how that is read


def commands(api: str, base_url: str, scratch: Path) -> tuple[Tool, Tool]:
    """The suite's and st run's runs of `api` at `base_url`, their files in `scratch`."""
    spec = ROOT / "specs" / f"{api}.yaml"
    junit, report, config = (scratch / f"{api}.{ext}" for ext in ("xml", "json", "toml"))
    config.write_text(st_run_config(spec, TOKEN))
    same = ["--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES)]
    suite = [sys.executable, "-m", "pytest", "contracts", "-q", "-p", "no:cacheprovider", "--api", api,
             "--base-url", base_url, "--token", TOKEN, *same, f"--junitxml={junit}"]  # fmt: skip
    st_run = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", str(spec), "--url", base_url,
        *same, "--mode", "all", "--phases", "examples,coverage,fuzzing", "--continue-on-failure", "--no-shrink",
        "--exclude-checks", "unsupported_method,allow_header_conformance", "--generation-database", "none",
        "--request-timeout", "10", "--report", "json", "--report-json-path", str(report),
    ]  # fmt: skip
    return (suite, junit, suite_counts), (st_run, report, st_run_counts)


def summary(apis: Sequence[str], suite: Counts, st_run: Counts, walls: Sequence[float]) -> dict[str, Any]:
    """The figures as `python -m bench` keeps them; the ratio is of the unrounded rates."""
    rates = [c.cases / c.seconds if c.seconds > 0 else None for c in (suite, st_run)]
    ratio = round(rates[0] / rates[1], 3) if rates[0] is not None and rates[1] else None
    sides = [
        {**counts._asdict(), "cases_per_s": None if rate is None else round(rate, 1), "wall_s": round(wall, 2)}
        for counts, rate, wall in zip((suite, st_run), rates, walls, strict=True)
    ]
    return {"apis": list(apis), "suite": sides[0], "st_run": sides[1], "ratio": ratio}


def measure() -> dict[str, Any]:
    """Both tools on every seed API against one mock on a real socket."""
    counts, walls = [Counts(0, 0.0), Counts(0, 0.0)], [0.0, 0.0]
    env = {name: value for name, value in os.environ.items() if not name.startswith("CONTRACT_")}
    with Servers() as servers, tempfile.TemporaryDirectory() as scratch:
        port = servers.start("mock", mock_argv("specs")).port
        for api in SEED_WORKLOADS:
            base_url = f"http://{HOST}:{port}/{api}{load_spec(ROOT / 'specs' / f'{api}.yaml').server_path}"
            say(f"contract ratio: {api}: the suite, then st run")
            for side, (command, out, read) in enumerate(commands(api, base_url, Path(scratch))):
                began = time.perf_counter()
                done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
                walls[side] += time.perf_counter() - began
                if not out.exists():
                    what = f"{' '.join(command[1:3])} {api}"
                    raise BenchError(f"{what} wrote no report (exit {done.returncode}): {done.stdout[-500:]}")
                cases, seconds = read(out.read_text())
                counts[side] = Counts(counts[side].cases + cases, round(counts[side].seconds + seconds, 2))
    return summary(SEED_WORKLOADS, counts[0], counts[1], walls)

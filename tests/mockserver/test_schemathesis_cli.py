"""An independent Schemathesis CLI run against the mock on a real socket finds nothing:
positive mode for all five APIs, `-m all` for the four whose spec declares a 422."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from mockserver import create_app
from mockserver.app import ServerConfig
from tests.mockserver.seed_apis import API_NAMES, SEED_APIS, SPECS, TOKEN
from tests.servers import serve

ST = Path(sys.executable).parent / "st"
EXAMPLES = 30
RUN_TIMEOUT = 180
PARALLEL_RUNS = 3

RUNS = [(name, "positive") for name in API_NAMES] + [
    (name, "all") for name in API_NAMES if SEED_APIS[name].declares_422
]


@dataclass(frozen=True)
class StRun:
    command: list[str]
    returncode: int
    output: str


def _command(base_url: str, name: str, mode: str) -> list[str]:
    api = SEED_APIS[name]
    [(header, value)] = (api.auth or {"Authorization": f"Bearer {TOKEN}"}).items()
    return [
        str(ST),
        "run",
        str(api.spec),
        "-u",
        base_url + api.base,
        "-H",
        f"{header}: {value}",
        "-c",
        "all",
        "--generation-with-security-parameters",
        "false",
        "-n",
        str(EXAMPLES),
        "--seed",
        "1",
        "-m",
        mode,
    ]


def _run(command: list[str], cwd: Path) -> StRun:
    cwd.mkdir()
    # A scratch directory per run: Schemathesis and hypothesis write caches into the cwd.
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    return StRun(command, result.returncode, result.stdout + result.stderr)


@pytest.fixture(scope="module")
def st_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], StRun]]:
    """All runs at once against one mock (they are independent; this keeps the wall time low)."""
    app = create_app(None, ServerConfig(log_requests=False, tokens=frozenset({TOKEN})))
    scratch = tmp_path_factory.mktemp("schemathesis")
    with serve(app) as base_url, ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        futures = {
            (name, mode): pool.submit(_run, _command(base_url, name, mode), scratch / f"{name}-{mode}")
            for name, mode in RUNS
        }
        yield {key: future.result() for key, future in futures.items()}


def test_all_mode_is_run_for_exactly_the_apis_whose_spec_declares_a_422() -> None:
    declaring = set()
    for name in API_NAMES:
        spec = yaml.safe_load((SPECS / f"{name}.yaml").read_text(encoding="utf-8"))
        operations = [op for item in spec["paths"].values() for op in item.values() if isinstance(op, dict)]
        if any("422" in (op.get("responses") or {}) for op in operations):
            declaring.add(name)
    assert {name for name, mode in RUNS if mode == "all"} == declaring
    assert {name for name, mode in RUNS if mode == "positive"} == set(API_NAMES)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "mode"), RUNS, ids=[f"{n}-{m}" for n, m in RUNS])
def test_schemathesis_finds_nothing(st_runs: dict[tuple[str, str], StRun], name: str, mode: str) -> None:
    run = st_runs[(name, mode)]
    assert run.returncode == 0, f"{' '.join(run.command)}\n{run.output[-6000:]}"
    assert "Tested: 1" in run.output, run.output[-3000:]
    generated = re.search(r"(\d+) generated", run.output)
    assert generated is not None and int(generated.group(1)) >= EXAMPLES, run.output[-3000:]

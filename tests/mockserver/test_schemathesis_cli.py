"""An independent Schemathesis CLI run against the mock on a real socket finds nothing:
positive mode for all five APIs, `-m all` for the four whose spec declares a 422."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver import create_app
from mockserver.app import ServerConfig
from tests.mockserver.seed_apis import API_NAMES, SEED_APIS, TOKEN
from tests.servers import serve

ST = Path(sys.executable).parent / "st"
EXAMPLES = 30
RUN_TIMEOUT = 180

RUNS = [(name, "positive") for name in API_NAMES] + [
    (name, "all") for name in API_NAMES if SEED_APIS[name].declares_422
]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    app = create_app(None, ServerConfig(log_requests=False, tokens=frozenset({TOKEN})))
    with serve(app) as url:
        yield url


def test_all_mode_is_run_for_exactly_the_apis_that_declare_a_422() -> None:
    assert sorted(name for name, mode in RUNS if mode == "all") == ["library-chat", "mielto", "omi", "openhands"]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "mode"), RUNS, ids=[f"{n}-{m}" for n, m in RUNS])
def test_schemathesis_finds_nothing(base_url: str, tmp_path: Path, name: str, mode: str) -> None:
    api = SEED_APIS[name]
    [(header, value)] = (api.auth or {"Authorization": f"Bearer {TOKEN}"}).items()
    command = [
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
    # Run from a scratch directory: Schemathesis and hypothesis write caches into the cwd.
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)}\n{output[-6000:]}"
    assert "Tested: 1" in output, output[-3000:]
    generated = re.search(r"(\d+) generated", output)
    assert generated is not None and int(generated.group(1)) >= EXAMPLES, output[-3000:]

"""Run the contract suite exactly as a CI job would (`pytest contracts ...`), in-process.

`pytest.main` in this interpreter avoids a new one (and a 5-7 s Schemathesis import) per
run; the target is a real uvicorn server on a real socket (`tests.servers.serve`). Not
pytester's in-process mode: it unloads the modules a run imported, and Schemathesis then
mixes classes from two imports of the same module ("unhashable type: 'GeneratedValue'").
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import contracts.runner  # noqa: F401  (imported once here, so in-process runs reuse it)
from tests.contracts.faulty import TOKEN, base_path

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
# Small but sufficient: the coverage phase alone sends 40-120 deterministic cases per API.
MAX_EXAMPLES = 15
SEED = 20240601


@dataclass(frozen=True)
class SuiteRun:
    exit_code: int
    output: str

    def flagged(self) -> set[str]:
        """Names of the checks that reported a violation: `[check_name] STxxx ...` lines."""
        return set(re.findall(r"^\[([a-z_]+)\] ST\d+", self.output, flags=re.MULTILINE))

    def summary(self, api: str) -> str:
        found = re.search(rf"^{re.escape(api)}: (PASS|FAIL) - .*?(?=^\S|\Z)", self.output, re.MULTILINE | re.DOTALL)
        return found.group(0) if found else ""

    def count(self, api: str, what: str) -> int:
        found = re.search(rf"^{re.escape(api)}: \w+ - .*?(\d+) {what}", self.output, re.MULTILINE)
        return int(found.group(1)) if found else -1

    def phases(self, api: str) -> dict[str, int]:
        """Cases by phase, from the summary's "cases by phase: coverage 95, fuzzing 15" line."""
        found = re.search(r"^  cases by phase: (.*)$", self.summary(api), re.MULTILINE)
        pairs = [part.rsplit(" ", 1) for part in found.group(1).split(", ")] if found else []
        return {phase: int(count) for phase, count in pairs}


@contextlib.contextmanager
def _without_contract_environment() -> Iterator[None]:
    """A CI's CONTRACT_* variables must not leak into the runs these tests make."""
    saved = {name: os.environ.pop(name) for name in list(os.environ) if name.startswith("CONTRACT_")}
    try:
        yield
    finally:
        os.environ.update(saved)


def run_contracts(*args: str) -> SuiteRun:
    """`pytest contracts ARGS`, as a CI job or `make contract` runs it, in this interpreter."""
    command = [str(CONTRACTS), "-p", "no:cacheprovider", "--seed", str(SEED), *args]
    output = io.StringIO()
    with _without_contract_environment(), contextlib.redirect_stdout(output):
        exit_code = pytest.main(command)
    return SuiteRun(int(exit_code), output.getvalue())


def run_suite(api: str, server_url: str, *extra: str) -> SuiteRun:
    """`pytest contracts --api API --base-url URL --token T ...` against a server at `server_url`."""
    base_url = server_url + base_path(api)
    return run_contracts(
        "--api", api, "--base-url", base_url, "--token", TOKEN, "--max-examples", str(MAX_EXAMPLES), *extra
    )

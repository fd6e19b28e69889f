"""The harness's command line: help, bad flags, and a whole (tiny) run on real servers."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import ROOT
from bench.cli import SECTIONS
from mockserver.serving_granian import granian_installed
from tests.servers import NEEDS_WRK


def bench(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_help_names_the_options_and_sections() -> None:
    done = bench("--help")
    assert done.returncode == 0 and "--workload" in done.stdout and "--skip" in done.stdout
    assert all(section in done.stdout for section in SECTIONS) and "targets" in done.stdout


def test_a_bad_flag_is_one_line() -> None:
    for args in (["--workload", "nope"], ["--skip", "prism", "nope"]):
        done = bench(*args)
        assert done.returncode == 2 and "invalid choice: 'nope'" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
@NEEDS_WRK
def test_a_short_run_writes_rows_for_reference_and_mock(tmp_path: Path) -> None:
    args = ["--duration", "1", "--rounds", "1", "--warmup", "0", "--workload", "omi", "--workload", "pets-list"]
    done = bench(*args, "--skip", "prism", "startup", "contract", "engines", "growth", "--results", str(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    payload = json.loads((tmp_path / "latest.json").read_text())
    found = {(row["workload"], row["server"]): row for row in payload["throughput"]}
    servers = ["reference", "mock", *(["reference-granian", "mock-granian"] if granian_installed() else [])]
    assert set(found) == {(w, s) for w in ("omi", "pets-list") for s in servers}
    assert all(row["requests"] > 0 and row["errors"] == 0 for row in found.values())
    assert found["omi", "reference"]["ratio"] == 1.0 and found["omi", "mock"]["ratio"] > 0
    if granian_installed():  # the mock against the bare app on each server, and its faster server against uvicorn
        targets = {t["what"] for t in payload["targets"]}
        assert "omi: mock-granian >= 0.85 x reference-granian" in targets
        assert "omi: the mock on the faster server >= 1.0 x reference on uvicorn" in targets


@pytest.mark.slow
@NEEDS_WRK
def test_the_state_engines_and_two_dynamic_workers_get_rows_of_their_own(tmp_path: Path) -> None:
    args = ["--duration", "1", "--rounds", "1", "--warmup", "0", "--workload", "omi", "--skip", "prism", "startup"]
    done = bench(*args, "--skip", "contract", "growth", "granian", "--results", str(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    payload = json.loads((tmp_path / "latest.json").read_text())
    rows = {row["server"]: row for row in payload["throughput"]}
    engines = ["mock-sqlite", "mock-dynamic", "mock-dynamic-2w"]
    engines += ["mock-redis", "mock-redis-2w"] if shutil.which("redis-server") else []  # else left out, with a note
    assert set(engines) <= set(rows)
    assert all(rows[name]["requests"] > 0 and rows[name]["errors"] == 0 for name in engines)
    assert (rows["mock-dynamic-2w"]["cpu_us_per_request"] or 0) > 0  # the two workers' CPU time is counted
    assert "omi: mock-dynamic-2w >= 1.6 x mock-dynamic" in {t["what"] for t in payload["targets"]}

"""The package as a user installs it: the built wheel in a fresh venv, run from an empty
directory, finds its seed documents through importlib.resources and runs the suite.

The venv gets this interpreter's installed dependencies through a `.pth` line (the machine
has no index mirror of them), never the checkout: the test asserts the imported packages are
the wheel's.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contracts.catalogue import FAULTS
from tests.servers import serve

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "T"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding only the built wheel (its dependencies come from this interpreter)."""
    work = tmp_path_factory.mktemp("install")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(ROOT)],
        check=True,
        cwd=work,
        timeout=120,
    )
    (wheel,) = (work / "dist").glob("mockserver-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(work / "venv")], check=True, timeout=60)
    python = work / "venv" / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        check=True,
        timeout=120,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(purelib) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return work / "venv"


@pytest.fixture
def empty_dir(tmp_path: Path) -> Path:
    (tmp_path / "cwd").mkdir()
    return tmp_path / "cwd"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _mockserver(venv: Path, cwd: Path) -> Iterator[str]:
    port = _free_port()
    command = [str(venv / "bin" / "mockserver"), "serve", "--port", str(port), "--token", TOKEN, "--quiet"]
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    raise AssertionError(f"mockserver serve did not start: {output}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _contract(venv: Path, cwd: Path, base_url: str) -> subprocess.CompletedProcess[str]:
    command = [str(venv / "bin" / "mockserver"), "contract", "--api", "datagrid", "--base-url", base_url]
    command += ["--max-examples", "10", "--seed", "20240601"]
    # The token from the environment, as a CI job passes it; caches away from the working directory.
    env = {**os.environ, "CONTRACT_TOKEN": TOKEN, "XDG_CACHE_HOME": str(venv.parent / "cache")}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=180, env=env)


def test_the_wheel_imports_itself_not_the_checkout(venv: Path, empty_dir: Path) -> None:
    code = "import mockserver, contracts.cli, mockserver.app as a; print(mockserver.__file__, a.DEFAULT_SPECS)"
    done = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=empty_dir, capture_output=True, text=True)
    module, specs = done.stdout.split()
    assert module.startswith(str(venv)) and specs.startswith(str(venv))
    assert sorted(path.name for path in Path(specs).glob("*.yaml")) == [
        "datagrid.yaml",
        "library-chat.yaml",
        "mielto.yaml",
        "omi.yaml",
        "openhands.yaml",
    ]


def test_serve_and_contract_from_an_empty_directory(venv: Path, empty_dir: Path) -> None:
    with _mockserver(venv, empty_dir) as url:
        with urllib.request.urlopen(url + "/") as answer:
            index = json.loads(answer.read())
        assert {"datagrid", "library-chat", "mielto", "omi", "openhands"} <= set(json.dumps(index).split('"'))
        passed = _contract(venv, empty_dir, url + "/datagrid/v1")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "datagrid: PASS" in passed.stdout
    fault = next(fault for fault in FAULTS if fault.api == "datagrid" and fault.kind == "update not applied")
    with serve(fault.build()) as faulty:
        failed = _contract(venv, empty_dir, faulty + "/v1")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "[update_applied]" in failed.stdout
    assert list(empty_dir.iterdir()) == []  # nothing written where it ran


def test_contract_without_its_test_tools_says_what_to_install(venv: Path, empty_dir: Path) -> None:
    # As if the `contract` extra were not installed: importing schemathesis fails.
    code = "import sys; sys.modules['schemathesis'] = None; import mockserver.cli as c; sys.exit(c.main(['contract']))"
    done = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=empty_dir, capture_output=True, text=True)
    assert done.returncode == 1
    expected = "mockserver: error: the contract suite needs schemathesis: pip install 'mockserver[contract]'"
    assert done.stderr.strip() == expected


def test_make_contract_does_not_echo_the_token() -> None:
    command = ["make", "-n", "contract", "API=omi", "BASE_URL=http://127.0.0.1:9", "TOKEN=sekrit-token-123"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "pytest contracts --api omi" in done.stdout
    assert "sekrit-token-123" not in done.stdout + done.stderr

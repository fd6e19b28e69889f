"""The command line: `python -m mockserver serve` and the `mockserver` console script.
Bad input is a short message and a non-zero exit, never a traceback."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockserver import cli
from mockserver.cli import bind_warning
from tests.mockserver.conftest import SpecWriter, minimal_spec
from tests.mockserver.seed_apis import API_NAMES, ROOT, SEED_APIS
from tests.servers import NEEDS_GRANIAN, SERVERS, stop_process

CONSOLE_SCRIPT = Path(sys.executable).parent / "mockserver"
RUN_TIMEOUT = 60
READY_TIMEOUT = 30.0


def _module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", *args], cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


def test_serve_help_explains() -> None:
    result = _module("serve", "--help")
    assert result.returncode == 0
    text = result.stdout
    for word in ("SPEC_OR_DIR", "--host", "--port", "--seed", "--token", "--quiet", "4010", "Prefer", "/<file stem>"):
        assert word in text, word
    for word in ("--base-path", "--dynamic", "--no-cors", "/__mock/apis", "CORS", "dynamic=true"):
        assert word in text, word
    for status in ("401", "404", "405", "413", "415", "422"):
        assert status in text, status


def test_top_level_help_names_the_command() -> None:
    result = _module("--help")
    assert result.returncode == 0 and "serve" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["serve", "--port", "abc"], "port"),
        (["serve", "--port", "99999"], "port"),
        (["serve", "--port", "-1"], "port"),
        (["serve", "--seed", "many"], "seed"),
        (["serve", "--max-body-size", "0"], "max-body-size"),
        (["serve", "--no-such-flag"], "no-such-flag"),
        (["serve", "--base-path", "v1"], "base-path"),
        (["serve", "--base-path", "/v1?x=1"], "base-path"),
        (["serve", "--base-path", "/{tenant}"], "base-path"),
        (["serve", "--server", "hypercorn"], "--server"),
        ([], "command"),
        (["explode"], "explode"),
    ],
)
def test_bad_flags_exit_2_with_a_message(args: list[str], fragment: str) -> None:
    result = _module(*args)
    assert result.returncode == 2, result.stderr
    assert fragment.lower() in result.stderr.lower()
    assert "usage:" in result.stderr
    _no_traceback(result)


def test_missing_spec_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = _module("serve", str(missing), "--port", str(_free_port()))
    assert result.returncode != 0
    assert str(missing) in result.stderr
    _no_traceback(result)


def test_broken_yaml_names_the_file_and_line(write_spec: SpecWriter) -> None:
    path = write_spec("openapi: 3.1.0\npaths:\n  /a: {get: [unclosed\n")
    result = _module("serve", str(path), "--port", str(_free_port()))
    assert result.returncode != 0
    assert str(path) in result.stderr and "line" in result.stderr
    _no_traceback(result)


def test_unresolvable_ref_is_a_clear_error(write_spec: SpecWriter) -> None:
    path = write_spec(minimal_spec({"$ref": "#/components/schemas/Ghost"}))
    result = _module("serve", str(path), "--port", str(_free_port()))
    assert result.returncode != 0
    assert str(path) in result.stderr and "#/components/schemas/Ghost" in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3, "a short message, not a dump"
    _no_traceback(result)


@pytest.mark.parametrize("server", SERVERS)
def test_port_in_use_is_a_clear_error(server: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _module("serve", "--port", str(port), "--quiet", "--server", server)
    assert result.returncode != 0
    assert str(port) in result.stderr and "in use" in result.stderr
    _no_traceback(result)


@NEEDS_GRANIAN
def test_granian_refuses_a_header_limit_below_its_parsers_buffer() -> None:
    result = _module("serve", "--port", str(_free_port()), "--server", "granian", "--max-header-bytes", "4096")
    assert result.returncode == 1 and "at least 8192" in result.stderr and "4096" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    _no_traceback(result)


def test_granian_missing_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "granian_installed", lambda: False)
    assert cli.main(["serve", "--server", "granian", "--port", str(_free_port()), "--quiet"]) == 1
    assert capsys.readouterr().err.strip() == (
        "mockserver: error: --server granian needs granian: pip install 'mockserver[granian]'"
    )


class Running:
    def __init__(self, process: subprocess.Popen[str], base_url: str) -> None:
        self.process = process
        self.base_url = base_url


@contextlib.contextmanager
def _start(args: list[str]) -> Iterator[Running]:
    port = _free_port()
    process = subprocess.Popen(
        [*args, "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT
    try:
        while True:
            if process.poll() is not None:
                _, err = process.communicate(timeout=5)
                raise AssertionError(f"the server exited with {process.returncode}: {err}")
            try:
                if httpx.get(base_url + "/", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not answer within {READY_TIMEOUT} s")
            time.sleep(0.05)
        yield Running(process, base_url)
    finally:
        stop_process(process)


@pytest.fixture
def console_script() -> Iterator[Running]:
    assert CONSOLE_SCRIPT.exists(), f"{CONSOLE_SCRIPT} is not installed"
    with _start([str(CONSOLE_SCRIPT), "serve", "--token", "T", "--seed", "3"]) as running:
        yield running


@pytest.mark.slow
def test_console_script_serves_every_spec(console_script: Running) -> None:
    index = httpx.get(console_script.base_url + "/", timeout=5).json()
    assert sorted(api["name"] for api in index["apis"]) == API_NAMES
    api = SEED_APIS["datagrid"]
    url = console_script.base_url + api.url("conv_cli")
    assert httpx.patch(url, json={"name": "x"}, timeout=5).status_code == 401
    response = httpx.patch(url, json={"name": "from the CLI"}, headers={"Authorization": "Bearer T"}, timeout=5)
    assert response.status_code == 200 and response.json()["name"] == "from the CLI"
    console_script.process.terminate()
    _, err = console_script.process.communicate(timeout=10)
    assert "datagrid" in err  # the start-up banner and the access log
    assert "PATCH /datagrid/v1/conversations/conv_cli" in err
    assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize("server", SERVERS)
def test_module_serves_a_single_spec_quietly(server: str) -> None:
    spec = str(SEED_APIS["omi"].spec)
    argv = [sys.executable, "-m", "mockserver", "serve", spec, "--quiet", "--token", "T", "--server", server]
    with _start(argv) as running:
        response = httpx.patch(
            running.base_url + "/v1/dev/user/conversations/c1",
            json={"title": "single"},
            headers={"Authorization": "Bearer T"},
            timeout=5,
        )
        assert response.status_code == 200
        assert response.json()["structured"]["title"] == "single"
        from_a_page = httpx.patch(
            running.base_url + "/v1/dev/user/conversations/c1",
            json={"title": "single"},
            headers={"Authorization": "Bearer T", "Origin": "http://localhost:3000"},
            timeout=5,
        )
        assert from_a_page.headers["access-control-allow-origin"] == "http://localhost:3000"  # CORS is on by default
        running.process.terminate()
        out, err = running.process.communicate(timeout=10)
        assert "omi at http://127.0.0.1:" in err  # the ready message, and no access log (nor the server's)
        assert "PATCH" not in err + out and "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize("server", SERVERS)
def test_ctrl_c_stops_the_server_without_a_traceback(server: str) -> None:
    with _start([sys.executable, "-m", "mockserver", "serve", "--quiet", "--server", server]) as running:
        running.process.send_signal(signal.SIGINT)
        _, err = running.process.communicate(timeout=10)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


def test_console_script_points_at_the_cli() -> None:
    text = CONSOLE_SCRIPT.read_text(encoding="utf-8", errors="replace") if CONSOLE_SCRIPT.exists() else ""
    assert "mockserver.cli" in text
    assert os.access(CONSOLE_SCRIPT, os.X_OK)


@pytest.mark.parametrize(
    ("host", "tokens", "warned"),
    [
        ("127.0.0.1", [], False),
        ("::1", [], False),
        ("localhost", [], False),
        ("0.0.0.0", ["secret"], False),
        ("0.0.0.0", [], True),
        ("::", [], True),
        ("192.0.2.10", [], True),
    ],
)
def test_a_public_bind_without_a_token_is_warned_about(host: str, tokens: list[str], warned: bool) -> None:
    warning = bind_warning(host, tokens)
    assert (warning is not None) == warned
    if warning is not None:
        assert host in warning and "--token" in warning and "\n" not in warning


@pytest.mark.slow
def test_base_path_token_with_spaces_no_cors_and_dynamic(write_spec: SpecWriter) -> None:
    item = {"type": "object", "properties": {"text": {"type": "string", "minLength": 24}}, "required": ["text"]}
    document = minimal_spec(
        item, method="get", security=[{"Key": []}], schemes={"Key": {"type": "http", "scheme": "bearer"}}
    )
    del document["paths"]["/things/{thing_id}"]["get"]["requestBody"]
    spec = str(write_spec(document))
    args = ["--base-path", "/", "--token", "My API Key", "--no-cors", "--dynamic"]
    with _start([sys.executable, "-m", "mockserver", "serve", spec, *args]) as running:
        key = {"Authorization": "Bearer My API Key"}
        bodies = {httpx.get(running.base_url + "/things/t1", headers=key, timeout=5).text for _ in range(4)}
        assert len(bodies) > 1  # --dynamic: a fresh answer each time
        assert httpx.get(running.base_url + "/v2/things/t1", headers=key, timeout=5).status_code == 404
        wrong = httpx.get(running.base_url + "/things/t1", headers={"Authorization": "Bearer My API"}, timeout=5)
        assert wrong.status_code == 401
        preflight = httpx.options(
            running.base_url + "/things/t1",
            headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"},
            timeout=5,
        )
        assert preflight.status_code == 405 and "access-control-allow-origin" not in preflight.headers
        running.process.terminate()
        _, err = running.process.communicate(timeout=10)
    assert f"tiny at {running.base_url}/\n" in err  # the banner names the one mount

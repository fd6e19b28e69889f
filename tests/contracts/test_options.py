"""Options come from the command line or, for CI, from CONTRACT_* variables."""

from __future__ import annotations

import os
from typing import Any

import pytest

from contracts.options import DEFAULT_MAX_EXAMPLES, DEFAULT_REQUEST_TIMEOUT, from_pytest
from contracts.targets import select_targets


class _Config:
    def __init__(self, **given: Any) -> None:
        self.given = given

    def getoption(self, name: str) -> Any:
        default: Any = [] if name in ("api", "header", "path_param") else None
        return self.given.get(name, default)


def _options(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], **given: Any) -> Any:
    for name in [name for name in os.environ if name.startswith("CONTRACT_")]:  # a CI's own settings
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return from_pytest(_Config(**given))  # type: ignore[arg-type]


def test_environment_fills_what_the_command_line_leaves_out(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "CONTRACT_API": "omi, datagrid",
        "CONTRACT_TOKEN": "from-env",
        "CONTRACT_HEADERS": "X-Workspace-Id: ws_1\nX-Trace: a:b",
        "CONTRACT_SEED": "7",
    }
    options = _options(monkeypatch, env, token="from-cli", path_param=["conversation_id=c1"])
    assert options.apis == ("omi", "datagrid")
    assert options.token == "from-cli"
    assert options.headers == {"X-Workspace-Id": "ws_1", "X-Trace": "a:b"}
    assert options.path_params == {"conversation_id": "c1"}
    assert (options.seed, options.max_examples) == (7, DEFAULT_MAX_EXAMPLES)


def test_every_contract_variable_of_the_environment_is_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CONTRACT_MAX_EXAMPLES", "CONTRACT_TIME_BUDGET", "CONTRACT_PATH_PARAMS", "CONTRACT_SPECS"):
        monkeypatch.setenv(name, "not a valid value=")
    options = _options(monkeypatch, {})
    assert (options.max_examples, options.time_budget, options.path_params) == (DEFAULT_MAX_EXAMPLES, None, {})


@pytest.mark.parametrize(
    "given",
    [
        {"header": ["no colon"]},
        {"path_param": ["=value"]},
        {"max_examples": "0"},
        {"seed": "abc"},
        {"base_url": "localhost:8000"},
        {"request_timeout": "0"},
        {"workers": "0"},
        {"workers": "many"},
        {"checks": "update_applied,no_such_check"},
        {"exclude_checks": "typo"},
    ],
)
def test_malformed_options_are_usage_errors(monkeypatch: pytest.MonkeyPatch, given: dict[str, Any]) -> None:
    with pytest.raises(pytest.UsageError):
        _options(monkeypatch, {}, **given)


def test_a_live_url_needs_exactly_one_api(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(pytest.UsageError, match="--api"):
        select_targets(_options(monkeypatch, {}, base_url="http://127.0.0.1:8000"))
    (target,) = select_targets(_options(monkeypatch, {}, api=["omi"], base_url="http://127.0.0.1:8000/"))
    assert (target.api, target.base_url, target.live) == ("omi", "http://127.0.0.1:8000", True)


def test_unknown_apis_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(pytest.UsageError, match="unknown API nope; available: datagrid"):
        select_targets(_options(monkeypatch, {}, api=["nope"]))


def test_the_new_options_and_their_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = _options(monkeypatch, {})
    assert (defaults.request_timeout, defaults.workers, defaults.report_md) == (DEFAULT_REQUEST_TIMEOUT, 1, None)
    assert (defaults.checks, defaults.exclude_checks) == ((), ())
    env = {
        "CONTRACT_REQUEST_TIMEOUT": "2.5",
        "CONTRACT_WORKERS": "3",
        "CONTRACT_REPORT_MD": "out.md",
        "CONTRACT_CHECKS": "update_applied, ignored_auth",
    }
    options = _options(monkeypatch, env, exclude_checks="request_timeout")
    assert (options.request_timeout, options.workers, str(options.report_md)) == (2.5, 3, "out.md")
    assert options.checks == ("update_applied", "ignored_auth") and options.exclude_checks == ("request_timeout",)


def test_mockserver_contract_speaks_the_same_options() -> None:
    from contracts.cli import USAGE_ERROR, pytest_arguments

    arguments = pytest_arguments(["--api", "omi", "--token", "T", "--", "-q"])
    assert arguments[0].endswith("contracts/test_contract.py")
    assert arguments[-5:] == ["--api", "omi", "--token", "T", "-q"]
    with pytest.raises(SystemExit) as stopped:
        pytest_arguments(["--no-such-option"])
    assert stopped.value.code == USAGE_ERROR

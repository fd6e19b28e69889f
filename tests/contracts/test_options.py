"""Options come from the command line or, for CI, from CONTRACT_* variables."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.options import DEFAULT_MAX_EXAMPLES, from_pytest
from contracts.targets import select_targets


class _Config:
    def __init__(self, **given: Any) -> None:
        self.given = given

    def getoption(self, name: str) -> Any:
        default: Any = [] if name in ("api", "header", "path_param") else None
        return self.given.get(name, default)


def _options(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], **given: Any) -> Any:
    for name in ("CONTRACT_API", "CONTRACT_BASE_URL", "CONTRACT_TOKEN", "CONTRACT_HEADERS", "CONTRACT_SEED"):
        monkeypatch.delenv(name, raising=False)
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


@pytest.mark.parametrize(
    "given",
    [
        {"header": ["no colon"]},
        {"path_param": ["=value"]},
        {"max_examples": "0"},
        {"seed": "abc"},
        {"base_url": "localhost:8000"},
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

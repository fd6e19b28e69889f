"""Command-line options of the contract suite, each also settable by a CONTRACT_* environment
variable (the command line wins): `OPTIONS` lists them with their help, registered with pytest
by `contracts/conftest.py` and with argparse by `mockserver contract` (`contracts/cli.py`);
`from_pytest` reads them into a frozen `ContractOptions`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mockserver.app import DEFAULT_SPECS

DEFAULT_MAX_EXAMPLES = 100
DEFAULT_REQUEST_TIMEOUT = 10.0
_GROUP = "contract suite"


@dataclass(frozen=True)
class ContractOptions:
    apis: tuple[str, ...] = ()
    base_url: str | None = None
    token: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    path_params: dict[str, str] = field(default_factory=dict)
    max_examples: int = DEFAULT_MAX_EXAMPLES
    seed: int = 0
    time_budget: float | None = None
    specs: Path = DEFAULT_SPECS
    check_undeclared_methods: bool = False
    checks: tuple[str, ...] = ()  # only these checks (empty: all)
    exclude_checks: tuple[str, ...] = ()
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    workers: int = 1
    report_md: Path | None = None

    @property
    def probe_undeclared_methods(self) -> bool:
        """The in-process mock serves exactly its spec; a live service may serve more methods."""
        return self.check_undeclared_methods or not self.live

    @property
    def live(self) -> bool:
        return self.base_url is not None


# Every option as (flags, argparse keyword arguments): registered with pytest by the conftest
# and with argparse by `mockserver contract` (contracts/cli.py), so both spell them alike.
OPTIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "--api",
        {
            "action": "append",
            "default": [],
            "metavar": "NAME",
            "help": "API to test, by spec file stem "
            "(repeatable; env CONTRACT_API, comma-separated; default: every spec in --specs)",
        },
    ),
    (
        "--base-url",
        {
            "metavar": "URL",
            "help": "live deployment, including its base path (env CONTRACT_BASE_URL; default: the in-process mock)",
        },
    ),
    (
        "--token",
        {
            "metavar": "TOKEN",
            "help": "credential, applied as the spec's security scheme says; prefer the "
            "env CONTRACT_TOKEN in CI (never echoed: reproductions say ${CONTRACT_TOKEN})",
        },
    ),
    (
        "--header",
        {
            "action": "append",
            "default": [],
            "metavar": "'NAME: VALUE'",
            "help": "extra request header (repeatable; env CONTRACT_HEADERS, one per line)",
        },
    ),
    (
        "--path-param",
        {
            "action": "append",
            "default": [],
            "metavar": "NAME=VALUE",
            "help": "known id for a path "
            "parameter (repeatable; env CONTRACT_PATH_PARAMS, comma-separated; default: a made-up id on a live target)",
        },
    ),
    (
        "--max-examples",
        {
            "type": int,
            "metavar": "N",
            "help": f"fuzzing examples per API (env CONTRACT_MAX_EXAMPLES; default {DEFAULT_MAX_EXAMPLES})",
        },
    ),
    ("--seed", {"type": int, "metavar": "N", "help": "random seed (env CONTRACT_SEED; default: a new one, printed)"}),
    (
        "--time-budget",
        {
            "type": float,
            "metavar": "SECONDS",
            "help": "time for the generated phases, shared by the "
            "APIs, not a hard cap (env CONTRACT_TIME_BUDGET; default: none)",
        },
    ),
    (
        "--request-timeout",
        {
            "type": float,
            "metavar": "SECONDS",
            "help": "a request answered later is a violation "
            f"(env CONTRACT_REQUEST_TIMEOUT; default {DEFAULT_REQUEST_TIMEOUT:g})",
        },
    ),
    (
        "--specs",
        {
            "metavar": "DIR",
            "help": "directory of specs and profiles/ (env CONTRACT_SPECS; default: the "
            "five seed documents shipped with the package)",
        },
    ),
    (
        "--checks",
        {
            "metavar": "NAME,...",
            "help": "run only these checks, Schemathesis' and ours (env CONTRACT_CHECKS; default: all)",
        },
    ),
    (
        "--exclude-checks",
        {"metavar": "NAME,...", "help": "skip these checks (env CONTRACT_EXCLUDE_CHECKS; default: none)"},
    ),
    (
        "--workers",
        {
            "type": int,
            "metavar": "N",
            "help": "operations tested in parallel, for large documents (env CONTRACT_WORKERS; default 1)",
        },
    ),
    (
        "--report-md",
        {
            "metavar": "FILE",
            "help": "write a Markdown summary there (env CONTRACT_REPORT_MD; also "
            "appended to $GITHUB_STEP_SUMMARY when that is set; default: none)",
        },
    ),
    (
        "--check-undeclared-methods",
        {
            "action": "store_true",
            "default": False,
            "help": "on a live target, expect "
            "405 for methods the spec does not declare (env CONTRACT_CHECK_UNDECLARED_METHODS=1; default: off, the "
            "specs may be excerpts of larger APIs; always on in-process)",
        },
    ),
)


def register(parser: pytest.Parser) -> None:
    """Add the suite's options to pytest (called from `contracts/conftest.py`)."""
    group = parser.getgroup(_GROUP, "contract suite (Schemathesis + semantic checks)")
    for flag, kwargs in OPTIONS:
        group.addoption(flag, **kwargs)


def from_pytest(config: pytest.Config) -> ContractOptions:
    """Options from the command line, falling back to the environment; UsageError if malformed."""
    env = os.environ

    def value(name: str, variable: str) -> str | None:
        given = config.getoption(name)
        if given is not None:
            return str(given)
        return env.get(variable) or None

    apis = list(config.getoption("api")) or _split(env.get("CONTRACT_API", ""), ",")
    headers_raw = list(config.getoption("header")) or _split(env.get("CONTRACT_HEADERS", ""), "\n")
    params_raw = list(config.getoption("path_param")) or _split(env.get("CONTRACT_PATH_PARAMS", ""), ",")
    max_examples = _number(value("max_examples", "CONTRACT_MAX_EXAMPLES"), "--max-examples", int)
    seed = _number(value("seed", "CONTRACT_SEED"), "--seed", int)
    budget = _number(value("time_budget", "CONTRACT_TIME_BUDGET"), "--time-budget", float)
    if max_examples is not None and max_examples < 1:
        raise pytest.UsageError("--max-examples must be at least 1")
    if budget is not None and budget <= 0:
        raise pytest.UsageError("--time-budget must be a positive number of seconds")
    base_url = value("base_url", "CONTRACT_BASE_URL")
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise pytest.UsageError(f"--base-url must be an http(s) URL, got {base_url!r}")
    specs = value("specs", "CONTRACT_SPECS")
    timeout = _number(value("request_timeout", "CONTRACT_REQUEST_TIMEOUT"), "--request-timeout", float)
    if timeout is not None and timeout <= 0:
        raise pytest.UsageError("--request-timeout must be a positive number of seconds")
    workers = _number(value("workers", "CONTRACT_WORKERS"), "--workers", int)
    if workers is not None and not 1 <= workers <= 64:
        raise pytest.UsageError("--workers must be between 1 and 64")
    report_md = value("report_md", "CONTRACT_REPORT_MD")
    return ContractOptions(
        apis=tuple(apis),
        base_url=base_url.rstrip("/") if base_url else None,
        token=value("token", "CONTRACT_TOKEN"),
        headers=dict(_pair(item, ":", "--header", "'Name: value'") for item in headers_raw),
        path_params=dict(_pair(item, "=", "--path-param", "NAME=VALUE") for item in params_raw),
        max_examples=int(max_examples) if max_examples is not None else DEFAULT_MAX_EXAMPLES,
        seed=int(seed) if seed is not None else secrets.randbelow(2**31),
        time_budget=budget,
        specs=Path(specs) if specs else DEFAULT_SPECS,
        check_undeclared_methods=bool(config.getoption("check_undeclared_methods"))
        or env.get("CONTRACT_CHECK_UNDECLARED_METHODS", "") not in ("", "0"),
        checks=_check_names(value("checks", "CONTRACT_CHECKS"), "--checks"),
        exclude_checks=_check_names(value("exclude_checks", "CONTRACT_EXCLUDE_CHECKS"), "--exclude-checks"),
        request_timeout=timeout if timeout is not None else DEFAULT_REQUEST_TIMEOUT,
        workers=int(workers) if workers is not None else 1,
        report_md=Path(report_md) if report_md else None,
    )


def _check_names(text: str | None, option: str) -> tuple[str, ...]:
    from contracts.checks import known_checks

    names = tuple(_split(text or "", ","))
    unknown = [name for name in names if name not in known_checks()]
    if unknown:
        raise pytest.UsageError(
            f"{option}: unknown check {', '.join(unknown)}; known: {', '.join(sorted(known_checks()))}"
        )
    return names


def _split(text: str, separator: str) -> list[str]:
    return [part.strip() for part in text.split(separator) if part.strip()]


def _pair(item: str, separator: str, option: str, form: str) -> tuple[str, str]:
    name, found, rest = item.partition(separator)
    if not found or not name.strip():
        raise pytest.UsageError(f"{option} expects {form}, got {item!r}")
    return name.strip(), rest.strip()


def _number(text: str | None, option: str, kind: type[int] | type[float]) -> float | None:
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        raise pytest.UsageError(f"{option} expects a number, got {text!r}") from None

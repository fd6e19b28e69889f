"""Command-line options of the contract suite, each also settable by an environment variable.

--api NAME              CONTRACT_API (comma-separated)   APIs to test (spec file stems)
--base-url URL          CONTRACT_BASE_URL                a live deployment instead of the mock
--token TOKEN           CONTRACT_TOKEN                   credential, applied per security scheme
--header 'Name: value'  CONTRACT_HEADERS (newline-sep.)  extra request headers
--path-param NAME=VALUE CONTRACT_PATH_PARAMS (comma-sep.) known ids for path parameters
--max-examples N        CONTRACT_MAX_EXAMPLES            fuzzing examples per API
--seed N                CONTRACT_SEED                    reproduce a run
--time-budget SECONDS   CONTRACT_TIME_BUDGET             time for the generated phases, shared by
                                                         the APIs (see README: not a hard cap)
--check-undeclared-methods  CONTRACT_CHECK_UNDECLARED_METHODS=1  probe a live target with methods
                                                         its spec does not declare (always done
                                                         in-process; off by default when live:
                                                         the specs are excerpts of larger APIs)
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DEFAULT_MAX_EXAMPLES = 100
DEFAULT_SPECS = Path(__file__).resolve().parent.parent / "specs"
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

    @property
    def probe_undeclared_methods(self) -> bool:
        """The in-process mock serves exactly its spec; a live service may serve more methods."""
        return self.check_undeclared_methods or not self.live

    @property
    def live(self) -> bool:
        return self.base_url is not None


def register(parser: pytest.Parser) -> None:
    """Add the suite's options to pytest (called from `contracts/conftest.py`)."""
    group = parser.getgroup(_GROUP, "contract suite (Schemathesis + semantic checks)")
    group.addoption("--api", action="append", default=[], metavar="NAME", help="API to test (repeatable)")
    group.addoption("--base-url", metavar="URL", help="live deployment, including its base path")
    group.addoption("--token", metavar="TOKEN", help="credential, applied as the spec's security scheme says")
    group.addoption("--header", action="append", default=[], metavar="'NAME: VALUE'", help="extra header")
    group.addoption("--path-param", action="append", default=[], metavar="NAME=VALUE", help="known path id")
    group.addoption("--max-examples", type=int, metavar="N", help=f"fuzzing examples (default {DEFAULT_MAX_EXAMPLES})")
    group.addoption("--seed", type=int, metavar="N", help="random seed (default: a new one, printed)")
    group.addoption("--time-budget", type=float, metavar="SECONDS", help="time for the generated phases")
    group.addoption("--specs", metavar="DIR", help="directory of specs and profiles (default: specs/)")
    group.addoption(
        "--check-undeclared-methods",
        action="store_true",
        default=False,
        help="on a live target, expect 405 for methods the spec does not declare (off by default: "
        "the specs may be excerpts of larger APIs)",
    )


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
    )


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

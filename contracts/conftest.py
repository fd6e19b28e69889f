"""pytest glue of the contract suite: options, one test per selected API, the end summary.

`pytest contracts` from the repository root loads this file (pyproject's `testpaths` only
applies when no path is given).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from contracts.options import ContractOptions, from_pytest, register
from contracts.report import ApiReport
from contracts.targets import Target, select_targets

OPTIONS = pytest.StashKey[ContractOptions]()
TARGETS = pytest.StashKey[list[Target]]()
RESULTS = pytest.StashKey["RunState"]()


@dataclass
class RunState:
    """Reports in completion order, and the shared time budget."""

    budget: float | None
    apis_left: int
    started: float = field(default_factory=time.monotonic)
    reports: list[ApiReport] = field(default_factory=list)

    def next_share(self) -> float | None:
        """An equal share of what is left of the budget for the next API, at least 1 s (a
        budget spent before an API starts still lets it run briefly: a run never skips an API)."""
        if self.budget is None:
            return None
        left = self.budget - (time.monotonic() - self.started)
        share = max(1.0, left / max(1, self.apis_left))
        self.apis_left -= 1
        return share


def pytest_addoption(parser: pytest.Parser) -> None:
    register(parser)


def pytest_configure(config: pytest.Config) -> None:
    options = from_pytest(config)
    targets = select_targets(options)
    config.stash[OPTIONS] = options
    config.stash[TARGETS] = targets
    config.stash[RESULTS] = RunState(options.time_budget, len(targets))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        targets = metafunc.config.stash[TARGETS]
        metafunc.parametrize("target", targets, ids=[target.api for target in targets])


@pytest.fixture
def contract_options(request: pytest.FixtureRequest) -> ContractOptions:
    return request.config.stash[OPTIONS]


@pytest.fixture
def contract_run(request: pytest.FixtureRequest) -> RunState:
    return request.config.stash[RESULTS]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(RESULTS, None)
    if state is None or not state.reports:
        return
    options = config.stash[OPTIONS]
    terminalreporter.section("contract summary")
    for report in state.reports:
        for line in report.summary_lines():
            terminalreporter.write_line(line)
    terminalreporter.write_line(f"reproduce this run with --seed {options.seed}")

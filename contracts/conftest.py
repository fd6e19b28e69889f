"""pytest glue of the contract suite: options, one test per selected API, the end summary.

`pytest contracts` from the repository root loads this file (pyproject's `testpaths` only
applies when no path is given).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from contracts import markdown
from contracts.checks import known_checks, selected
from contracts.options import ContractOptions, from_pytest, register
from contracts.report import ApiReport
from contracts.runner import run_contract
from contracts.targets import Target, select_targets

OPTIONS = pytest.StashKey[ContractOptions]()
TARGETS = pytest.StashKey[list[Target]]()
RESULTS = pytest.StashKey["RunState"]()


# The test case of each API that fails when the suite could not test it completely.
RUN_COMPLETED = "run_completed"


@dataclass
class RunState:
    """Reports in completion order, and the shared time budget."""

    budget: float | None
    apis_left: int
    started: float = field(default_factory=time.monotonic)
    reports: list[ApiReport] = field(default_factory=list)
    checks: tuple[str, ...] = ()  # the checks with a test case each
    by_api: dict[str, ApiReport] = field(default_factory=dict)
    crashed: dict[str, Exception] = field(default_factory=dict)

    def report_for(self, target: Target, options: ContractOptions) -> tuple[ApiReport, bool]:
        """The report of `target`'s run, running it on first use (then True)."""
        if target.api in self.by_api:
            return self.by_api[target.api], False
        if target.api in self.crashed:  # an in-process crash: every test of the API shows it, once run
            raise self.crashed[target.api]
        try:
            report = run_contract(target, options, self.next_share())
        except Exception as exc:
            self.crashed[target.api] = exc
            raise
        self.by_api[target.api] = report
        self.reports.append(report)
        return report, True

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
    checks = tuple(name for name in sorted(known_checks()) if selected(name, options.checks, options.exclude_checks))
    config.stash[RESULTS] = RunState(options.time_budget, len(targets), checks=checks)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        targets = metafunc.config.stash[TARGETS]
        checks = metafunc.config.stash[RESULTS].checks
        pairs = [(target, check) for target in targets for check in (RUN_COMPLETED, *checks)]
        metafunc.parametrize(("target", "check"), pairs, ids=[f"{target.api}-{check}" for target, check in pairs])


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
    try:
        written = markdown.write(markdown.render(state.reports, state.checks, options.seed), options.report_md)
    except OSError as exc:
        terminalreporter.write_line(f"error: cannot write the Markdown summary: {exc}")
        return
    for path in written:
        terminalreporter.write_line(f"Markdown summary written to {path}")

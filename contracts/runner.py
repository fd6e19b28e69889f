"""Run one API's contract: the line of the suite, in order.

    target -> contract (spec + profile) -> Schemathesis schema + config (credentials per
    scheme, path-parameter policy, gap filter) -> engine: examples, coverage, fuzzing, in
    positive and negative modes, every built-in check + `semantics` -> `ApiReport`

The Schemathesis engine (what `st run` uses) rather than `schema.parametrize()`: it runs all
phases, keeps going after a failure, and hands back structured events to report from.
"""

from __future__ import annotations

import math
import time
from typing import Any

import schemathesis
from schemathesis.engine import events, from_schema

import contracts.rejections
import contracts.semantics  # noqa: F401  (importing these registers the checks)
from contracts.contract import ApiContract, bind, compile_contract, unbind
from contracts.credentials import used_schemes
from contracts.findings import make_finding
from contracts.gaps import filter_failure
from contracts.options import ContractOptions
from contracts.oracle import SentRequest
from contracts.report import ApiReport
from contracts.targets import Target
from contracts.unusual import probe_unusual_input


def run_contract(target: Target, options: ContractOptions, time_budget: float | None = None) -> ApiReport:
    """Fuzz `target` for its contract; the report says whether it honours it and why not."""
    contract = compile_contract(target.spec_path, target.token, live=target.live, path_params=options.path_params)
    report = contract.report
    report.target, report.seed = target.describe(), options.seed
    missing = _missing_credentials(contract, target)
    if missing:
        report.errors.append(missing)
        return report
    clash = contract.credentials.header_names() & {name.lower() for name in options.headers}
    if clash:
        report.errors.append(f"--header sets {', '.join(sorted(clash))}: pass credentials with --token instead")
        return report
    schema = schemathesis.openapi.from_path(
        str(target.spec_path), config=schemathesis.Config.from_dict(_config(contract, target, options, time_budget))
    )
    if target.base_url is None:
        schema.app = target.mock_app(options.seed)
    schema.hooks.register_hook_with_name(filter_failure, "filter_failure")
    bind(schema, contract)
    started = time.monotonic()
    try:
        for event in from_schema(schema).execute():
            _collect(event, contract, target)
        if report.requests:  # an unreachable target has already been reported
            probe_unusual_input(schema, contract, dict(options.headers), target.base_url)
    finally:
        unbind(schema)
        report.elapsed = time.monotonic() - started
    if report.requests == 0 and not report.errors:
        report.add_error("no request was sent: nothing was tested")
    _explain_coverage(contract, options)
    return report


def _explain_coverage(contract: ApiContract, options: ContractOptions) -> None:
    """Notes for what a passing run could not show (a wrong "yes" must at least be visible)."""
    report = contract.report
    path_names = {rule.name for op in contract.operations.values() for rule in op.compiled.parameters}
    for name in sorted(set(options.path_params) - path_names):
        report.notes.append(f"--path-param {name} ignored: no operation of {contract.api} has that parameter")
    if report.requests and not report.accepted:
        hint = " (pass --path-param with the id of a disposable resource)" if contract.live else ""
        report.notes.append(f"no update was accepted, so the update semantics were not exercised{hint}")


def _config(contract: ApiContract, target: Target, options: ContractOptions, budget: float | None) -> dict[str, Any]:
    operations = [op.compiled for op in contract.operations.values()]
    fresh_ids = target.live and not options.path_params
    # 401/403 are judged by `credentials_honoured`; 404 only makes sense for an id the suite made up.
    accepted = ["2xx", "409", "429", "5xx", *(["401", "403", "404"] if fresh_ids else ["401", "403"])]
    config: dict[str, Any] = {
        "seed": options.seed,
        "workers": 1,
        # Report every kind of violation in one run, not just the first one found.
        "continue-on-failure": True,
        "generation": {
            "mode": "all",
            "max-examples": options.max_examples,
            "database": "none",
            # Shrinking re-sends variations of a failing request: unbounded on a live target.
            "no-shrink": target.live,
        },
        # In-process, Schemathesis would harvest string constants from the app's source as
        # test data: secrets would land in payloads and a seed would not replay over HTTP.
        "analysis": {"constants": {"enabled": False}},
        "phases": {"stateful": {"enabled": False}},
        "checks": {"positive_data_acceptance": {"expected-statuses": accepted}},
        "headers": dict(options.headers),
    }
    overrides = contract.path_overrides()
    if overrides:
        config["parameters"] = {f"path.{name}": value for name, value in overrides.items()}
    auth = contract.credentials.schemathesis_auth(used_schemes(operations))
    if auth:
        config["auth"] = {"openapi": auth}
    if target.base_url is not None:
        config["base-url"] = target.base_url
    if budget is not None:
        config["max-time"] = max(1, math.ceil(budget))
    return config


def _missing_credentials(contract: ApiContract, target: Target) -> str | None:
    if target.token is not None:
        return None
    secured = [op.label for op in contract.operations.values() if not op.compiled.security.open]
    if not secured:
        return None
    schemes = ", ".join(sorted(contract.credentials.schemes))
    return f"no credentials: {', '.join(secured)} is secured ({schemes}); pass --token"


def _collect(event: Any, contract: ApiContract, target: Target) -> None:
    report = contract.report
    if isinstance(event, events.ScenarioFinished):
        recorder = event.recorder
        answered = {case_id for case_id, item in recorder.interactions.items() if item.response is not None}
        report.requests += len(answered)
        # Cases the generator made (not the probes and second updates checks derive from them).
        report.cases += sum(
            1 for case_id, node in recorder.cases.items() if node.parent_id is None and case_id in answered
        )
        for case_id, checks in recorder.checks.items():
            for check in checks:
                if check.failure_info is not None:
                    failure = check.failure_info.failure
                    interaction = recorder.interactions.get(failure.case_id or case_id)
                    request = SentRequest.from_recorded(interaction.request) if interaction is not None else None
                    report.add_finding(make_finding(failure, request, contract, check.name))
    elif isinstance(event, events.NonFatalError):
        # Schemathesis' tips name its own CLI flag; ours is --base-url.
        text = str(event.info.format()).replace("`--url`", "`--base-url`")
        report.add_error(contract.credentials.redact(text))
    elif isinstance(event, events.FatalError):
        report.add_error(f"{type(event.exception).__name__}: {event.exception}")
    elif isinstance(event, events.EngineFinished):
        report.stop_reason = str(getattr(event, "stop_reason", "") or "")

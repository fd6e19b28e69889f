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
import contracts.safety  # noqa: F401  (importing these registers the checks and hooks)
from contracts import workers  # noqa: F401  (one thread at a time in ast.parse, for --workers)
from contracts.checks import engine_checks
from contracts.contract import ApiContract, bind, compile_contract, unbind
from contracts.credentials import used_schemes
from contracts.evidence import entries
from contracts.findings import TIMEOUT_CHECK, make_finding, timed_out, timeout_finding
from contracts.gaps import filter_failure
from contracts.lifecycle import probe_lifecycle
from contracts.options import ContractOptions
from contracts.oracle import SentRequest
from contracts.report import ApiReport
from contracts.semantics import record_answer
from contracts.targets import Target
from contracts.unusual import probe_unusual_input
from contracts.violation import ContractViolation

# The run-level check: at least one valid, correctly authenticated request was accepted.
ACCEPTANCE_CHECK = "valid_requests_accepted"


def run_contract(target: Target, options: ContractOptions, time_budget: float | None = None) -> ApiReport:
    """Fuzz `target` for its contract; the report says whether it honours it and why not."""
    contract = compile_contract(target.spec_path, target.token, live=target.live, path_params=options.path_params)
    report = contract.report
    report.target, report.seed = target.describe(), options.seed
    report.only, report.excluded = options.checks, options.exclude_checks
    for operation in contract.operations.values():
        for entry in entries(operation.compiled.profile):
            report.expectations[entry] = operation.evidence_for(entry).kind
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
    schema.hooks.register_hook_with_name(record_answer, "after_call")
    bind(schema, contract)
    started = time.monotonic()
    try:
        for event in from_schema(schema).execute():
            _collect(event, contract, target, options.request_timeout)
        if report.requests:  # an unreachable target has already been reported
            probe_unusual_input(schema, contract, dict(options.headers), target.base_url, options.request_timeout)
            probe_lifecycle(schema, contract, dict(options.headers), target.base_url, options.request_timeout)
    finally:
        unbind(schema)
        report.elapsed = time.monotonic() - started
    if report.requests == 0 and not report.errors:
        report.add_error("no request was sent: nothing was tested")
    _explain_coverage(contract, options, time_budget)
    _judge_acceptance(contract)
    report.checked[TIMEOUT_CHECK] = report.requests
    report.checked[ACCEPTANCE_CHECK] = report.accepted + report.unknown_id + sum(report.refused.values())
    return report


def _explain_coverage(contract: ApiContract, options: ContractOptions, budget: float | None) -> None:
    """Notes for what a passing run could not show (a wrong "yes" must at least be visible)."""
    report = contract.report
    path_names = {rule.name for op in contract.operations.values() for rule in op.compiled.parameters}
    if not options.probe_undeclared_methods:
        for check in ("unsupported_method", "allow_header_conformance"):
            report.skipped_checks[check] = "not probed on a live target (--check-undeclared-methods)"
        report.notes.append(
            "methods the spec does not declare were not probed (a live service may serve more than its "
            "spec excerpt); --check-undeclared-methods expects 405 for them"
        )
    for name in sorted(set(options.path_params) - path_names):
        report.notes.append(f"--path-param {name} ignored: no operation of {contract.api} has that parameter")
    if report.stop_reason == "max_time":
        share = f"its {_engine_seconds(budget)} s share of " if budget is not None else ""
        report.notes.append(
            f"stopped by {share}the time budget after {report.cases} cases: the generated phases did not all "
            "finish, so this run checked less than a complete one"
        )
    elif report.stopped_early:
        report.notes.append(f"the engine stopped early ({report.stop_reason}) after {report.cases} cases")


def _judge_acceptance(contract: ApiContract) -> None:
    """The run-level verdict: could the contract be verified at all?

    Every semantic check, and most built-in ones, judge accepted updates. A run in which no
    valid, correctly authenticated request was accepted verified nothing of them, and is a
    failure, whatever the refusals were (429 every time, 404 for a --path-param id, 409...),
    with one exception: on a live target without --path-param, a 404 for an id the suite made
    up is the correct answer, so a run whose valid requests all got that passes, with a note.
    An occasional 429 (a rate limit) is tolerated and shown as a warning in the summary.
    """
    report = contract.report
    if report.requests == 0 or report.accepted:
        return
    if report.refused:
        answers = ", ".join(f"{status} x{count}" for status, count in sorted(report.refused.items()))
        hint = (
            " (pass --path-param with the id of a disposable resource)" if contract.live and report.unknown_id else ""
        )
        violation = ContractViolation(
            check=ACCEPTANCE_CHECK,
            operation=", ".join(op.label for op in contract.operations.values()),
            title="Contract could not be verified: no valid request was accepted",
            message=(
                f"Valid, correctly authenticated requests were answered {answers}"
                + (f" and 404 for a made-up id x{report.unknown_id}" if report.unknown_id else "")
                + f", never 2xx, so whether the target applies updates as its contract says is unknown{hint}"
            ),
        )
        report.add_finding(make_finding(violation, contract.first_refused, contract))
    elif report.unknown_id:
        report.notes.append(
            "no update was accepted (every valid request addressed an id the suite made up and got 404), "
            "so the update semantics were not exercised (pass --path-param with the id of a disposable resource)"
        )
    else:
        report.add_error("no valid, correctly authenticated request was sent: the contract could not be verified")


def _engine_seconds(budget: float) -> int:
    """Schemathesis' max-time is whole seconds: the share, rounded up, at least 1 s."""
    return max(1, math.ceil(budget))


def _config(contract: ApiContract, target: Target, options: ContractOptions, budget: float | None) -> dict[str, Any]:
    operations = [op.compiled for op in contract.operations.values()]
    given = set(options.path_params)
    fresh_ids = target.live and any(
        rule.name not in given for op in operations for rule in op.parameters if rule.location == "path"
    )
    # Refusals of valid data that other checks judge, so not reported twice: 401/403
    # (`credentials_honoured`), 5xx (`not_a_server_error`), 429 (a rate limit: tolerated now and
    # then, a failure when no valid request was ever accepted, see `_judge_acceptance`), and 404
    # only for an id the suite made up (a 404 for a --path-param id is a violation).
    # In-process, an id the mock never created reads 404 where the API can create such
    # resources and the operation declares a 404 (the mock's `--unknown-ids auto`).
    unknown_404 = not target.live and any(
        op.binding is not None and op.binding.not_found_declared and op.binding.role.collection.creatable
        for op in operations
    )
    accepted = ["2xx", "429", "5xx", "401", "403", *(["404"] if fresh_ids or unknown_404 else [])]
    config: dict[str, Any] = {
        "seed": options.seed,
        "workers": options.workers,
        "request-timeout": options.request_timeout,
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
        # Stateful sequences need links between operations (Schemathesis infers them from the
        # responses and Location headers): only a document of several operations has any.
        "phases": {"stateful": {"enabled": len(operations) > 1}},
        "checks": {"positive_data_acceptance": {"expected-statuses": accepted}},
        "headers": dict(options.headers),
    }
    if not options.probe_undeclared_methods:
        # A spec excerpt (one operation of a larger API) says nothing about the path's other
        # methods: a real GET or DELETE there must not count as a violation, nor be sent.
        config["phases"]["coverage"] = {"unexpected-methods": []}
        config["checks"]["unsupported_method"] = {"enabled": False}
        config["checks"]["allow_header_conformance"] = {"enabled": False}
    for name, section in engine_checks(options.checks, options.exclude_checks).items():
        if isinstance(section, dict):
            config["checks"].setdefault(name, {}).update(section)
        else:
            config["checks"][name] = section
    overrides = contract.path_overrides()
    if overrides:
        config["parameters"] = {f"path.{name}": value for name, value in overrides.items()}
    auth = contract.credentials.schemathesis_auth(used_schemes(operations))
    if auth:
        config["auth"] = {"openapi": auth}
    if target.base_url is not None:
        config["base-url"] = target.base_url
    if budget is not None:
        config["max-time"] = _engine_seconds(budget)
    return config


def _missing_credentials(contract: ApiContract, target: Target) -> str | None:
    if target.token is not None:
        return None
    secured = [op.label for op in contract.operations.values() if not op.compiled.security.open]
    if not secured:
        return None
    schemes = ", ".join(sorted(contract.credentials.schemes))
    return f"no credentials: {', '.join(secured)} is secured ({schemes}); pass --token"


def _collect(event: Any, contract: ApiContract, target: Target, timeout: float) -> None:
    report = contract.report
    if isinstance(event, events.ScenarioFinished):
        recorder = event.recorder
        answered = {case_id for case_id, item in recorder.interactions.items() if item.response is not None}
        report.requests += len(answered)
        # Cases the generator made (not the probes and second updates checks derive from them).
        generated = sum(1 for case_id, node in recorder.cases.items() if node.parent_id is None and case_id in answered)
        report.cases += generated
        if generated:
            report.phases[str(event.phase)] += generated
        for case_id, checks in recorder.checks.items():
            for check in checks:
                report.checked[check.name] += 1
                if check.failure_info is not None:
                    failure = check.failure_info.failure
                    interaction = recorder.interactions.get(failure.case_id or case_id)
                    request = SentRequest.from_recorded(interaction.request) if interaction is not None else None
                    report.add_finding(make_finding(failure, request, contract, check.name))
    elif isinstance(event, events.NonFatalError) and timed_out(event.value) is not None:
        report.add_finding(timeout_finding(timed_out(event.value), contract, timeout, event.label))
    elif isinstance(event, events.NonFatalError):
        # Schemathesis' tips name its own CLI flag; ours is --base-url.
        text = str(event.info.format()).replace("`--url`", "`--base-url`")
        report.add_error(contract.credentials.redact(text))
    elif isinstance(event, events.FatalError):
        report.add_error(f"{type(event.exception).__name__}: {event.exception}")
    elif isinstance(event, events.EngineFinished):
        report.stop_reason = str(getattr(event, "stop_reason", "") or "")

"""Run one API's contract: the line of the suite, in order.

    target -> contract (spec + profile, frozen) + run (its report and state) -> Schemathesis
    schema + config (credentials per scheme, path-parameter policy, our checks' sections
    holding the run) + hooks on the schema bound to the run (gap filter, acceptance tally,
    undeclared-method guard) -> engine: examples, coverage, fuzzing (and stateful), in
    positive and negative modes, every built-in check + ours -> the suite's own phases
    (unusual input, lifecycle) -> after-run verdict (acceptance) -> `ApiReport`

The Schemathesis engine (what `st run` uses) rather than `schema.parametrize()`: it runs all
phases, keeps going after a failure, and hands back structured events to report from.
"""

from __future__ import annotations

import math
import time

import schemathesis
from schemathesis.engine import events, from_schema

from contracts import workers  # noqa: F401  (one thread at a time in ast.parse, for --workers)
from contracts.acceptance import ACCEPTANCE_CHECK, answer_recorder, judge_acceptance
from contracts.checks import engine_checks, registered_checks
from contracts.contract import ApiContract, compile_contract
from contracts.credentials import used_schemes
from contracts.evidence import entries
from contracts.findings import TIMEOUT_CHECK, make_finding, timed_out, timeout_finding
from contracts.gaps import failure_filter
from contracts.lifecycle import probe_lifecycle
from contracts.options import ContractOptions
from contracts.report import ApiReport
from contracts.run import ContractRun, Transport
from contracts.safety import undeclared_method_guard
from contracts.sent import SentRequest
from contracts.targets import Target
from contracts.types import JSON
from contracts.unusual import probe_unusual_input


def run_contract(target: Target, options: ContractOptions, time_budget: float | None = None) -> ApiReport:
    """Fuzz `target` for its contract; the report says whether it honours it and why not."""
    contract = compile_contract(target.spec_path, target.token, live=target.live, path_params=options.path_params)
    report = ApiReport(api=contract.api, target=target.describe(), seed=options.seed)
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
    run = ContractRun(contract, report, Transport(target.base_url, dict(options.headers), options.request_timeout))
    schema = schemathesis.openapi.from_path(
        str(target.spec_path), config=schemathesis.Config.from_dict(_config(run, target, options, time_budget))
    )
    if target.base_url is None:
        schema.app = target.mock_app(options.seed)
    schema.hooks.register_hook_with_name(failure_filter(run), "filter_failure")
    schema.hooks.register_hook_with_name(answer_recorder(run), "after_call")
    if contract.live:
        schema.hooks.register_hook_with_name(undeclared_method_guard(run), "map_case")
    started = time.monotonic()
    try:
        for event in from_schema(schema).execute():
            _collect(event, run, options.request_timeout)
        if report.requests:  # an unreachable target has already been reported
            probe_unusual_input(schema, run)
            probe_lifecycle(schema, run)
    finally:
        report.elapsed = time.monotonic() - started
    if report.requests == 0 and not report.errors:
        report.add_error("no request was sent: nothing was tested")
    _explain_coverage(contract, report, options, time_budget)
    judge_acceptance(run)
    report.checked[TIMEOUT_CHECK] = report.requests
    report.checked[ACCEPTANCE_CHECK] = report.accepted + report.unknown_id + sum(report.refused.values())
    return report


def _explain_coverage(contract: ApiContract, report: ApiReport, options: ContractOptions, budget: float | None) -> None:
    """Notes for what a passing run could not show (a wrong "yes" must at least be visible)."""
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


def _engine_seconds(budget: float) -> int:
    """Schemathesis' max-time is whole seconds: the share, rounded up, at least 1 s."""
    return max(1, math.ceil(budget))


def _config(run: ContractRun, target: Target, options: ContractOptions, budget: float | None) -> dict[str, JSON]:
    contract = run.contract
    operations = [op.compiled for op in contract.operations.values()]
    given = set(options.path_params)
    fresh_ids = target.live and any(
        rule.name not in given for op in operations for rule in op.parameters if rule.location == "path"
    )
    # Refusals of valid data that other checks judge, so not reported twice: 401/403
    # (`credentials_honoured`), 5xx (`not_a_server_error`), 429 (a rate limit: tolerated now and
    # then, a failure when no valid request was ever accepted, see `acceptance`), and 404
    # only for an id the suite made up (a 404 for a --path-param id is a violation).
    # In-process, an id the mock never created reads 404 where the API can create such
    # resources and the operation declares a 404 (the mock's `--unknown-ids auto`).
    unknown_404 = not target.live and any(
        op.binding is not None and op.binding.not_found_declared and op.binding.role.collection.creatable
        for op in operations
    )
    accepted = ["2xx", "429", "5xx", "401", "403", *(["404"] if fresh_ids or unknown_404 else [])]
    config: dict[str, JSON] = {
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
    # Our check classes get the run from their sections (see `check.ContractCheck`).
    for name, holding in run.check_sections(registered_checks()).items():
        config["checks"].setdefault(name, {}).update(holding)
    for name, section in engine_checks(options.checks, options.exclude_checks).items():
        if isinstance(section, dict):
            config["checks"].setdefault(name, {}).update(section)
        else:
            config["checks"][name] = section
    overrides = run.path_overrides()
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


def _collect(event: events.EngineEvent, run: ContractRun, timeout: float) -> None:
    report, contract = run.report, run.contract
    if isinstance(event, events.ScenarioFinished):
        recorder = event.recorder
        answered = {case_id for case_id, item in recorder.interactions.items() if item.response is not None}
        # Second updates are counted as they are sent (`followup`): they are not in the recorder.
        report.count_requests(len(answered))
        # Cases the generator made (not the probes Schemathesis' checks derive from them).
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
    elif isinstance(event, events.NonFatalError):
        unanswered = timed_out(event.value)
        if unanswered is not None:
            report.add_finding(timeout_finding(unanswered, contract, timeout, event.label))
        else:
            # Schemathesis' tips name its own CLI flag; ours is --base-url.
            text = str(event.info.format()).replace("`--url`", "`--base-url`")
            report.add_error(contract.credentials.redact(text))
    elif isinstance(event, events.FatalError):
        report.add_error(f"{type(event.exception).__name__}: {event.exception}")
    elif isinstance(event, events.EngineFinished):
        report.stop_reason = str(event.stop_reason or "")

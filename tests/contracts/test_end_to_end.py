"""The suite as its users run it: `make contract` (every mock in-process, no --base-url), with
--junitxml for CI, --header, and --time-budget."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from contracts.checks import known_checks
from contracts.conftest import RunState
from contracts.unusual import UNUSUAL_STRINGS
from tests.contracts.catalogue import on_success
from tests.contracts.faulty import Recording, mock_app, rewritten
from tests.contracts.suite import SEED, SuiteRun, run_contracts, run_suite
from tests.servers import serve

APIS = ("datagrid", "library-chat", "mielto", "omi", "openhands")
README = Path(__file__).resolve().parents[2] / "contracts" / "README.md"
DEFAULT_EXAMPLES = 3


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[SuiteRun, ET.Element]:
    """`pytest contracts --max-examples 3 --junitxml FILE`: what `make contract` runs, smaller."""
    junit = tmp_path_factory.mktemp("junit") / "contract.xml"
    run = run_contracts("--max-examples", str(DEFAULT_EXAMPLES), "--junitxml", str(junit))
    assert junit.is_file(), run.output
    return run, ET.parse(junit).getroot()


@pytest.mark.slow
def test_the_default_run_passes_every_mock_in_process(default_run: tuple[SuiteRun, ET.Element]) -> None:
    run, _ = default_run
    assert run.exit_code == 0, run.output
    for api in APIS:
        assert run.summary(api).startswith(f"{api}: PASS"), run.output
        assert "against in-process mock" in run.summary(api).splitlines()[0]
        phases = run.phases(api)
        assert phases["coverage"] > 0 and phases["unusual"] == len(UNUSUAL_STRINGS), run.output
        assert 0 < phases["fuzzing"] <= DEFAULT_EXAMPLES, run.output
    assert f"reproduce this run with --seed {SEED}" in run.output


@pytest.mark.slow
def test_junit_has_one_testcase_per_api_and_check_and_the_suite_properties(
    default_run: tuple[SuiteRun, ET.Element],
) -> None:
    run, root = default_run
    cases = {case.get("name"): case for case in root.iter("testcase")}
    checks = sorted(known_checks())
    assert set(cases) == {f"test_contract[{api}-{check}]" for api in APIS for check in ["run_completed", *checks]}
    assert not [child.tag for case in cases.values() for child in case if child.tag != "properties"], (
        "a passing run has no failure elements"
    )
    for api in APIS:
        counts = {p.get("name"): p.get("value") for p in cases[f"test_contract[{api}-update_applied]"].iter("property")}
        assert counts["violations"] == "0" and int(str(counts["responses_checked"])) > 0
        compared = re.search(r"semantic comparisons: .*\bupdate_applied (\d+)", run.summary(api))
        assert counts["comparisons"] == (compared.group(1) if compared else "0")
    properties = {prop.get("name"): prop.get("value") for prop in root.iter("property")}
    for api in APIS:
        assert properties[f"{api}.cases"] == str(run.count(api, "cases"))
        assert properties[f"{api}.requests"] == str(run.count(api, "requests"))
        assert properties[f"{api}.seed"] == str(SEED)
        assert int(properties[f"{api}.accepted"]) > 0
        for phase, count in run.phases(api).items():
            assert properties[f"{api}.phase.{phase}"] == str(count)
    assert str(properties["datagrid.tolerated.auth.401"]).split(":")[0].isdigit()


@pytest.mark.slow
def test_the_readme_bound_states_the_coverage_phase_the_suite_reports(default_run: tuple[SuiteRun, ET.Element]) -> None:
    run, _ = default_run
    stated = re.search(
        r"\(Datagrid (\d+), library-chat (\d+), Mielto (\d+), Omi (\d+), OpenHands (\d+)[;)]",
        " ".join(README.read_text(encoding="utf-8").split()),
    )
    assert stated is not None, "contracts/README.md no longer states the coverage cases per API"
    assert [int(count) for count in stated.groups()] == [run.phases(api)["coverage"] for api in APIS]


def _ignore_workspace(body: Any) -> None:
    body["workspace_id"] = "ws_default"


@pytest.mark.slow
def test_a_header_reaches_the_target_and_its_echo_is_checked() -> None:
    header = "X-Workspace-Id: ws_contract"
    recording = Recording(mock_app("mielto"))
    with serve(recording) as server:
        faithful = run_suite("mielto", server, "--header", header)
    with serve(rewritten("mielto", after=on_success(_ignore_workspace))) as server:
        ignoring = run_suite("mielto", server, "--header", header)
    assert faithful.exit_code == 0, faithful.output
    assert recording.seen and all(r.headers.get("x-workspace-id") == "ws_contract" for r in recording.seen)
    # Mielto's profile echoes X-Workspace-Id as workspace_id, an expectation the document does
    # not state (it is inferred): a live deployment that ignores it is warned about, not failed.
    assert ignoring.exit_code == 0, ignoring.output
    assert "update_applied" not in ignoring.flagged(), ignoring.output
    unmet = r"^  warning: inferred expectation not met \(from_headers.workspace_id.*$"
    warning = re.search(unmet, ignoring.output, re.MULTILINE)
    assert warning is not None, ignoring.output
    assert "Sent header x-workspace-id='ws_contract'; the response has workspace_id='ws_default'" in warning.group(0)


def _slow_mielto() -> Recording:
    """50 ms per request: the ~115 cases of a run need several seconds, far beyond 1 s."""
    return Recording(mock_app("mielto"), delay=0.05)


@pytest.mark.slow
def test_a_run_cut_short_by_the_time_budget_says_so(tmp_path: Path) -> None:
    junit = tmp_path / "contract.xml"
    with serve(_slow_mielto()) as server:
        run = run_suite("mielto", server, "--time-budget", "1", "--junitxml", str(junit))
    summary = run.summary("mielto")
    assert run.exit_code == 0, run.output
    found = re.search(r"note: stopped by its 1 s share of the time budget after (\d+) cases", summary)
    assert found is not None, run.output
    assert int(found.group(1)) == run.count("mielto", "cases") < 95, run.output
    properties = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().iter("property")}
    assert properties["mielto.stopped"] == f"max_time after {found.group(1)} cases"


def test_the_budget_is_shared_equally_with_at_least_a_second_each() -> None:
    assert RunState(None, 3).next_share() is None
    state = RunState(300.0, 3, started=time.monotonic() - 30.0)  # 270 s or less left
    first = state.next_share()
    assert first is not None and 1.0 < first <= 90.0
    assert state.apis_left == 2
    assert RunState(0.5, 2).next_share() == 1.0

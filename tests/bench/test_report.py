"""Ratios and targets from rows and start-up figures."""

from bench import contract_ratio
from bench.cli import Row, check_targets, row, with_ratios
from bench.wrk import LoadResult


def rows(mock_rps: float, p99: float = 3.0, errors: int = 0) -> list[Row]:
    return with_ratios(
        [
            row("omi", "reference", LoadResult(1000, 1.0, 1.0, 2.0, 0)),
            row("omi", "mock", LoadResult(int(mock_rps), 1.0, 1.0, p99, errors)),
            row("pets-list", "reference", LoadResult(1000, 1.0, 1.0, 2.0, 0)),
            row("pets-list", "mock", LoadResult(int(mock_rps * 0.7), 1.0, 1.0, p99, 0)),
        ]
    )


def met(checks: list[dict[str, object]]) -> dict[object, object]:
    return {c["what"]: c["met"] for c in checks}


def test_ratios_are_against_the_reference_of_the_same_workload() -> None:
    found = {(r["workload"], r["server"]): r["ratio"] for r in rows(900)}
    assert found == {("omi", "reference"): 1.0, ("omi", "mock"): 0.9, ("pets-list", "reference"): 1.0,
                     ("pets-list", "mock"): 0.63}  # fmt: skip


def test_seed_and_resource_workloads_have_their_own_floors() -> None:
    checks = met(check_targets(rows(900), ["omi"], {}))
    assert checks["omi: >= 0.85 x reference"] and checks["pets-list: >= 0.6 x reference"]
    checks = met(check_targets(rows(800), ["omi"], {}))
    assert not checks["omi: >= 0.85 x reference"] and not checks["pets-list: >= 0.6 x reference"]


def test_a_ratio_is_judged_unrounded() -> None:
    just_under = with_ratios([row("omi", "reference", LoadResult(100000, 1.0, 1.0, 2.0, 0)),
                              row("omi", "mock", LoadResult(84996, 1.0, 1.0, 2.0, 0))])  # fmt: skip
    assert (
        just_under[1]["ratio"] == 0.85 and not met(check_targets(just_under, ["omi"], {}))["omi: >= 0.85 x reference"]
    )


def test_latency_errors_and_start_up_targets() -> None:
    startup = {
        "seed": {"median_s": 0.7},
        "large": {"document": "box.json", "operations": 296, "median_s": 1.5, "rss_mb": 300.0},
    }
    checks = met(check_targets(rows(900, p99=12.0, errors=3), ["omi"], startup))
    assert not checks["omi: p99 < 10 ms"] and not checks["omi: no errors"]
    assert not checks["seed specs ready < 0.5 s"]
    assert checks["box.json (296 operations) ready < 2 s"] and not checks["box.json (296 operations) RSS < 250 MB"]


def test_the_contract_ratio_is_a_target() -> None:
    def entry(ratio: float) -> dict[str, object]:
        suite = contract_ratio.Counts(cases=int(ratio * 100), seconds=1.0)
        return contract_ratio.summary(["omi"], suite, contract_ratio.Counts(100, 1.0), [2.0, 1.5])

    assert met(check_targets([], [], {}, entry(0.85))) == {contract_ratio.TARGET: True}
    assert met(check_targets([], [], {}, entry(0.7))) == {contract_ratio.TARGET: False}


def test_a_mock_row_without_a_result_is_a_missed_target() -> None:
    checks = check_targets(with_ratios([row("omi", "mock", None, why="answered 500")]), ["omi"], {})
    assert [(c["met"], c["value"]) for c in checks] == [(False, "answered 500")]


def _row(workload: str, server: str, rps: int) -> Row:
    return row(workload, server, LoadResult(rps, 1.0, 1.0, 2.0, 0))


def test_relative_targets_compare_the_named_rows_of_each_seed_workload() -> None:
    rows = [
        _row("omi", "reference", 1000),
        _row("omi", "mock", 800),
        _row("omi", "reference-granian", 1300),
        _row("omi", "mock-granian", 1150),
        _row("omi", "mock-sqlite", 390),
        _row("omi", "mock-dynamic", 500),
        _row("omi", "mock-dynamic-2w", 850),
    ]
    checks = {c["what"]: (c["met"], c["value"]) for c in check_targets(with_ratios(rows), ["omi"], {})}
    assert checks == {
        "omi: >= 0.85 x reference": (False, "0.80"),
        "omi: p99 < 10 ms": (True, "2.00 ms"),
        "omi: no errors": (True, "0"),
        "omi: mock-granian >= 0.85 x reference-granian": (True, "0.88"),
        "omi: mock-sqlite >= 0.5 x mock": (False, "0.49"),
        "omi: mock-dynamic-2w >= 1.6 x mock-dynamic": (True, "1.70"),
        "omi: the mock on the faster server >= 1.0 x reference on uvicorn": (True, "1.15 (mock-granian)"),
    }  # no Redis rows, no Redis check


def test_without_granian_rows_there_is_no_server_target() -> None:
    rows = with_ratios([_row("omi", "reference", 1000), _row("omi", "mock", 1200)])
    assert set(met(check_targets(rows, ["omi"], {}))) == {
        "omi: >= 0.85 x reference",
        "omi: p99 < 10 ms",
        "omi: no errors",
    }

"""A run judged and written out: ratios and targets from rows and start-up figures, the
Markdown, the generated sections of the pages, the growth plots."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bench import contract_ratio, report
from bench.report import Row, check_targets, row, svg, with_ratios
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
    checks = met(check_targets({"throughput": rows(900)}))
    assert checks["omi: >= 0.85 x reference"] and checks["pets-list: >= 0.6 x reference"]
    checks = met(check_targets({"throughput": rows(800)}))
    assert not checks["omi: >= 0.85 x reference"] and not checks["pets-list: >= 0.6 x reference"]


def test_a_ratio_is_judged_unrounded() -> None:
    just_under = with_ratios([row("omi", "reference", LoadResult(100000, 1.0, 1.0, 2.0, 0)),
                              row("omi", "mock", LoadResult(84996, 1.0, 1.0, 2.0, 0))])  # fmt: skip
    assert (
        just_under[1]["ratio"] == 0.85
        and not met(check_targets({"throughput": just_under}))["omi: >= 0.85 x reference"]
    )


def test_latency_errors_and_start_up_targets() -> None:
    startup = {
        "seed": {"median_s": 0.7},
        "large": {"document": "box.json", "operations": 296, "median_s": 1.5, "rss_mb": 300.0},
    }
    checks = check_targets({"throughput": rows(900, p99=12.0, errors=3), "startup": startup})
    values = {c["what"]: (c["met"], c["value"]) for c in checks}
    assert values["omi: p99 < 10 ms"] == (False, "12.00 ms") and values["omi: no errors"] == (False, "3")
    assert values["seed specs ready < 0.5 s"] == (False, "0.7 s")
    assert values["box.json (296 operations) ready < 2 s"] == (True, "1.5 s")
    assert values["box.json (296 operations) RSS < 250 MB"] == (False, "300.0 MB")


def test_the_contract_ratio_is_a_target() -> None:
    def judged(suite: contract_ratio.Counts, st_run: contract_ratio.Counts) -> dict[object, object]:
        return met(check_targets({"contract": contract_ratio.summary(["omi"], suite, st_run, [2.0, 1.5])}))

    what, Counts = "contract suite >= 0.8 x st run cases/s", contract_ratio.Counts
    assert judged(Counts(85, 1.0), Counts(100, 1.0)) == {what: True}
    assert judged(Counts(70, 1.0), Counts(100, 1.0)) == {what: False}
    # Judged on the rates as measured, not as rounded for the table (31.2 / 39.1 cases/s would make 0.80).
    assert judged(Counts(710, 22.74), Counts(693, 17.72)) == {what: False}


def test_a_mock_row_without_a_result_is_a_missed_target() -> None:
    checks = check_targets({"throughput": with_ratios([row("omi", "mock", None, why="answered 500")])})
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
    checks = {c["what"]: (c["met"], c["value"]) for c in check_targets({"throughput": with_ratios(rows)})}
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
    assert set(met(check_targets({"throughput": rows}))) == {
        "omi: >= 0.85 x reference",
        "omi: p99 < 10 ms",
        "omi: no errors",
    }


PAYLOAD = {
    "started": "2026-12-02T17:00:00+00:00",
    "load_average": [0.31, 0.2, 0.1],
    "commit": "abc1234",
    "throughput": [
        {"workload": "omi", "server": "reference", "problem": None, "rps": 20000.0, "p50_ms": 0.7, "p99_ms": 2.1,
         "errors": 0, "ratio": 1.0, "cpu_us_per_request": 45.2},
        {"workload": "omi", "server": "mock", "problem": None, "rps": 17000.4, "p50_ms": 0.9, "p99_ms": 2.9,
         "errors": 0, "ratio": 0.85, "cpu_us_per_request": 55.0},
        {"workload": "omi", "server": "prism", "problem": "not installed"},
    ],
    "startup": {"seed": {"median_s": 0.31, "runs_s": [0.3, 0.31, 0.33]},
                "large": {"document": "box.json", "operations": 296, "median_s": 1.2, "rss_mb": 113.1}},
    "growth": {"stored": [{"items": 1000, "rss_mb": 50.3, "kb_per_item": 4.71, "pets-list_rps": 4462.0,
                           "pets-create_rps": 5476.0}],
               "documents": [{"document": "a.json", "kb": 10, "seconds": 0.3},
                             {"document": "box.json", "kb": 1720, "seconds": 1.06}]},
    "targets": [{"what": "omi: >= 0.85 x reference", "met": True, "value": "0.85"},
                {"what": "omi: p99 < 10 ms", "met": False, "value": "12.00 ms"}],
}  # fmt: skip


def test_the_table_and_targets_are_the_payload_s() -> None:
    text = report.render(PAYLOAD)
    assert "| omi | mock | 17,000 | 0.90 | 2.90 | 0 | 0.85 | 55 |  |" in text
    assert "| omi | prism | - | - | - | - | - | - | not installed |" in text
    assert "commit abc1234" in text and "load average 0.31" in text
    assert "0.31 s to answer (median of 3)" in text and "box.json (296 operations): 1.2 s, 113.1 MB RSS" in text
    assert "- 1,000 stored pets: list 4,462 req/s, create 5,476 req/s, 50.3 MB RSS (4.71 KB per item)." in text
    assert "2 corpus documents, the largest (box.json, 1,720 KB) 1.06 s" in text
    assert "- [x] omi: >= 0.85 x reference: 0.85" in text and "- [ ] omi: p99 < 10 ms: 12.00 ms" in text


def test_only_the_generated_section_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "latest.json").write_text(json.dumps(PAYLOAD))
    page = tmp_path / "README.md"
    page.write_text(f"# Title\n\nbefore\n{report.START}\nold table\n{report.END}\nafter\n")
    assert report.write_pages(tmp_path, [page]) == 0
    text = page.read_text()
    assert text.startswith("# Title\n\nbefore\n") and text.endswith(f"{report.END}\nafter\n")
    assert "old table" not in text and "| omi | mock | 17,000 |" in text
    assert (tmp_path / "latest.md").read_text() == report.render(PAYLOAD)


@pytest.mark.parametrize("content", ["no markers at all\n", "only the start\n" + report.START + "\n"])
def test_a_page_without_its_section_is_a_one_line_error(
    tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "latest.json").write_text(json.dumps(PAYLOAD))
    good, bad = tmp_path / "good.md", tmp_path / "page.md"
    good.write_text(f"{report.START}\n{report.END}\n")
    bad.write_text(content)
    assert report.write_pages(tmp_path, [good, bad]) == 1
    assert "no generated section" in capsys.readouterr().err
    assert bad.read_text() == content and good.read_text() == f"{report.START}\n{report.END}\n"  # none written
    assert not (tmp_path / "latest.md").exists()


def test_no_results_yet_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert report.write_pages(tmp_path, [tmp_path / "x.md"]) == 1
    assert "latest.json: no results yet (run `make bench`)" in capsys.readouterr().err


SVG = "{http://www.w3.org/2000/svg}"


def test_a_plot_has_one_labelled_circle_per_point_inside_the_canvas() -> None:
    points = [(1000.0, 3500.0, "45 MB"), (10000.0, 3300.0, "60 MB"), (100000.0, 2900.0, "190 MB")]
    root = ET.fromstring(svg(points, "stored pets", "req/s", "List throughput"))
    circles = root.findall(f"{SVG}circle")
    assert len(circles) == 3
    width, height = float(root.get("width", 0)), float(root.get("height", 0))
    xs = [float(c.get("cx", -1)) for c in circles]
    ys = [float(c.get("cy", -1)) for c in circles]
    assert all(0 < x < width for x in xs) and all(0 < y < height for y in ys)
    assert xs == sorted(xs) and ys == sorted(ys)  # more items to the right; fewer req/s lower (larger y)
    labels = {t.text for t in root.findall(f"{SVG}text")}
    assert {"45 MB", "190 MB", "stored pets", "req/s", "List throughput"} <= labels

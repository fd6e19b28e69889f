"""The latest run as Markdown, and the generated sections of the pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import markdown

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
    "startup": {"seed": {"median_s": 0.31, "runs_s": [0.3, 0.31, 0.33]}},
    "targets": [{"what": "omi: >= 0.85 x reference", "met": True, "value": "0.85"},
                {"what": "omi: p99 < 10 ms", "met": False, "value": "12.00 ms"}],
}  # fmt: skip


def test_the_table_and_targets_are_the_payload_s() -> None:
    text = markdown.render(PAYLOAD)
    assert "| omi | mock | 17,000 | 0.90 | 2.90 | 0 | 0.85 | 55 |  |" in text
    assert "| omi | prism | - | - | - | - | - | - | not installed |" in text
    assert "commit abc1234" in text and "load average 0.31" in text
    assert "0.31 s to answer (median of 3)" in text
    assert "- [x] omi: >= 0.85 x reference: 0.85" in text and "- [ ] omi: p99 < 10 ms: 12.00 ms" in text


def test_only_the_generated_section_is_replaced(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "latest.json").write_text(json.dumps(PAYLOAD))
    page = tmp_path / "README.md"
    page.write_text(f"# Title\n\nbefore\n{markdown.START}\nold table\n{markdown.END}\nafter\n")
    assert markdown.main(["--results", str(results), "--page", str(page)]) == 0
    text = page.read_text()
    assert text.startswith("# Title\n\nbefore\n") and text.endswith(f"{markdown.END}\nafter\n")
    assert "old table" not in text and "| omi | mock | 17,000 |" in text
    assert (results / "latest.md").read_text() == markdown.render(PAYLOAD)


@pytest.mark.parametrize("content", ["no markers at all\n", "only the start\n" + markdown.START + "\n"])
def test_a_page_without_its_section_is_a_one_line_error(
    tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "latest.json").write_text(json.dumps(PAYLOAD))
    page = tmp_path / "page.md"
    page.write_text(content)
    assert markdown.main(["--results", str(tmp_path), "--page", str(page)]) == 1
    assert "no generated section" in capsys.readouterr().err
    assert page.read_text() == content


def test_no_results_yet_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert markdown.main(["--results", str(tmp_path), "--page", str(tmp_path / "x.md")]) == 1
    assert "no results yet (run `make bench`)" in capsys.readouterr().err

import json
from datetime import UTC, datetime
from pathlib import Path

from bench.load import LoadResult
from bench.report import (
    MOCK,
    PRISM,
    REFERENCE,
    Row,
    check_targets,
    cpu_ratio,
    mock_over_prism,
    table,
    with_ratios,
    write,
)


def result(rps: float, p99: float = 2.0, errors: int = 0) -> LoadResult:
    return LoadResult(requests=int(rps * 5), seconds=5.0, p50_ms=1.0, p99_ms=p99, status_errors=errors, socket_errors=0)


ROWS = [
    Row("omi", REFERENCE, result(10_000)),
    Row("omi", MOCK, result(5_000, p99=12.0), cpu_us=137.4),
    Row("openhands", REFERENCE, result(8_000)),
    Row("openhands", MOCK, result(7_000, errors=3)),
    Row("omi", PRISM, result(500)),
    Row("openhands", PRISM, None, "prism:openhands exited with code 1"),
]


def test_ratios_are_to_the_reference_of_the_same_api_and_rows_group_by_api() -> None:
    rows = with_ratios(ROWS)
    assert [(r.api, r.server) for r in rows] == [
        ("omi", REFERENCE),
        ("omi", MOCK),
        ("omi", PRISM),
        ("openhands", REFERENCE),
        ("openhands", MOCK),
        ("openhands", PRISM),
    ]
    ratios = {(r.api, r.server): r.ratio for r in rows}
    assert ratios[("omi", MOCK)] == 0.5
    assert ratios[("omi", PRISM)] == 0.05
    assert ratios[("openhands", MOCK)] == 0.875
    assert ratios[("openhands", PRISM)] is None


def test_without_a_reference_result_there_is_no_ratio() -> None:
    rows = with_ratios([Row("omi", REFERENCE, None, "failed"), Row("omi", MOCK, result(5_000))])
    assert [r.ratio for r in rows] == [None, None]


def test_cpu_ratio_is_reference_cpu_over_the_servers() -> None:
    rows = [Row("omi", REFERENCE, result(1), cpu_us=100.0), Row("omi", MOCK, result(1), cpu_us=125.0)]
    assert cpu_ratio(rows, "omi") == 0.8
    assert cpu_ratio(rows, "omi", PRISM) is None
    assert cpu_ratio([Row("omi", MOCK, result(1), cpu_us=125.0)], "omi") is None


def test_mock_over_prism() -> None:
    assert mock_over_prism(with_ratios(ROWS)) == {"omi": 10.0}


def test_targets_flag_low_ratio_high_p99_errors_and_slow_startup() -> None:
    checks = {c.what: c.met for c in check_targets(with_ratios(ROWS), startup_s=0.7)}
    assert checks["omi: req/s >= 0.6 x reference"] is False
    assert checks["omi: p99 < 10 ms"] is False
    assert checks["omi: no errors"] is True
    assert checks["openhands: req/s >= 0.6 x reference"] is True
    assert checks["openhands: no errors"] is False
    assert checks["start-up of all specs < 0.5 s"] is False


def test_table_shows_every_row_and_problems() -> None:
    text = table(with_ratios(ROWS))
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["API", "server", "req/s"]
    assert len(lines) == 2 + len(ROWS)
    assert "10,000" in text and "0.50" in text
    assert "prism:openhands exited with code 1" in text
    assert "10.0x Prism" in text
    assert "137" in text.splitlines()[3]  # the mock's CPU time per request


def test_write_keeps_a_timestamped_file_and_latest(tmp_path: Path) -> None:
    path = write(tmp_path / "results", {"a": 1}, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert path.name == "20260102T030405Z.json"
    assert json.loads(path.read_text()) == {"a": 1}
    assert json.loads((tmp_path / "results" / "latest.json").read_text()) == {"a": 1}

import pytest

from bench.errors import BenchError
from bench.load import LoadResult, LoadSpec, encode_request, lua_string, merge, parse_wrk, percentile, wrk_script

SPEC = LoadSpec(
    "PATCH",
    "/omi/x",
    {"Authorization": "Bearer t", "Content-Type": "application/json"},
    b'{"title":"Caf\xc3\xa9 \\"q\\""}',
    duration=3,
    connections=16,
)


def test_lua_string_escapes_quotes_backslashes_and_non_ascii() -> None:
    assert lua_string('a"b\\c') == '"a\\"b\\\\c"'
    assert lua_string("é\n") == '"\\195\\169\\010"'


def test_wrk_script_sets_method_body_headers_and_prints_a_summary() -> None:
    script = wrk_script(SPEC)
    assert 'wrk.method = "PATCH"' in script
    assert 'wrk.headers["Authorization"] = "Bearer t"' in script
    assert "wrk.body = " in script and "\\195\\169" in script
    assert "function done(summary, latency, requests)" in script


WRK_OUTPUT = """\
Running 3s test @ http://127.0.0.1:4010/omi/x
  1 threads and 16 connections
  30000 requests in 3.00s, 40.00MB read
  Non-2xx or 3xx responses: 7
BENCH_JSON {"requests":30000,"duration_us":3000000,"connect":1,"read":2,"write":0,"status":7,"timeout":3,\
"p50_us":1500.0,"p99_us":4250.5}
"""


def test_parse_wrk_reads_the_summary_line() -> None:
    result = parse_wrk(WRK_OUTPUT)
    assert result.requests == 30000
    assert result.rps == pytest.approx(10000.0)
    assert result.p50_ms == pytest.approx(1.5)
    assert result.p99_ms == pytest.approx(4.2505)
    assert (result.status_errors, result.socket_errors, result.errors) == (7, 6, 13)


def test_parse_wrk_without_a_summary_says_what_wrk_printed() -> None:
    with pytest.raises(BenchError, match="unable to connect"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_percentile_is_nearest_rank() -> None:
    samples = [float(x) for x in range(100, 0, -1)]  # 100..1, unsorted
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 100) == 100.0
    assert percentile([3.0], 99) == 3.0
    assert percentile([], 50) == 0.0


def test_encode_request_frames_the_body_with_its_length() -> None:
    raw = encode_request(SPEC, 4010)
    head, body = raw.split(b"\r\n\r\n", 1)
    assert head.startswith(b"PATCH /omi/x HTTP/1.1\r\nHost: 127.0.0.1:4010\r\n")
    assert f"Content-Length: {len(SPEC.body)}".encode() in head
    assert body == SPEC.body


def test_merge_adds_counts_and_keeps_the_worst_p99() -> None:
    slices = [
        LoadResult(requests=100, seconds=2.0, p50_ms=1.0, p99_ms=3.0, status_errors=1, socket_errors=0),
        LoadResult(requests=300, seconds=2.0, p50_ms=2.0, p99_ms=9.0, status_errors=0, socket_errors=2),
        LoadResult(requests=200, seconds=2.0, p50_ms=1.5, p99_ms=4.0, status_errors=0, socket_errors=0),
    ]
    merged = merge(slices)
    assert (merged.requests, merged.seconds, merged.rps) == (600, 6.0, 100.0)
    assert (merged.p50_ms, merged.p99_ms) == (1.5, 9.0)
    assert (merged.status_errors, merged.socket_errors) == (1, 2)
    with pytest.raises(ValueError):
        merge([])

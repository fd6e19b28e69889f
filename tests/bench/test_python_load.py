"""The Python load generator over a real socket, for a second: it counts answers and
errors right (no timing assertions)."""

from bench.load import LoadSpec, PythonLoad
from bench.reference import create_reference_app
from bench.workloads import select
from tests.servers import serve


def test_python_load_counts_answers_and_http_errors() -> None:
    workload = select(["omi"])[0]
    with serve(create_reference_app()) as base:
        port = int(base.rsplit(":", 1)[1])
        good = PythonLoad().run(
            port,
            LoadSpec(
                workload.method, workload.path, workload.headers(), workload.body_bytes, duration=1, connections=4
            ),
        )
        bad = PythonLoad().run(port, LoadSpec("PATCH", "/nowhere", {}, b"{}", duration=1, connections=2))
    assert good.requests > 0 and good.errors == 0
    assert 0 < good.p50_ms <= good.p99_ms
    assert bad.requests > 0 and bad.status_errors == bad.requests and bad.socket_errors == 0

"""The workload table against the real mock's index, and the reference answering the bytes
the mock answered: every request the harness sends must be a valid one (2xx), or the
benchmark would measure error paths."""

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from bench import ROOT, BenchError
from bench.workloads import LIST_ITEMS, MOCK_TARGETS, TABLE, TOKEN, from_index, recorded, reference_app
from mockserver import create_app
from mockserver.app import ServerConfig


@pytest.fixture(scope="module")
def mock() -> TestClient:
    config = ServerConfig(log_requests=False, tokens=frozenset({TOKEN}), seed_items=LIST_ITEMS)
    return TestClient(create_app([ROOT / target for target in MOCK_TARGETS], config))


def index(client: TestClient) -> dict[str, Any]:
    answer = client.get("/__mock/apis")
    assert answer.status_code == 200 and "apis" in answer.json()
    return dict(answer.json())


def test_every_workload_is_a_valid_request_to_the_mock(mock: TestClient) -> None:
    workloads = from_index(index(mock))
    assert [w.name for w in workloads] == list(TABLE)
    for w in workloads:
        answer = mock.request(w.method, w.path, content=w.body_bytes, headers=w.headers())
        assert 200 <= answer.status_code < 300, (w.name, answer.status_code, answer.text[:300])
        if w.name == "pets-list":
            assert len(answer.json()) == LIST_ITEMS


def test_without_the_token_the_mock_refuses_them(mock: TestClient) -> None:
    w = from_index(index(mock), ["datagrid"])[0]
    answer = mock.request(w.method, w.path, content=w.body_bytes, headers={"Content-Type": "application/json"})
    assert answer.status_code == 401


def test_an_operation_the_mock_does_not_serve_is_named() -> None:
    listing = {"apis": [{"name": "omi", "base_path": "/omi", "operations": []}]}
    with pytest.raises(BenchError, match="PATCH /v1/dev/user/conversations"):
        from_index(listing, ["omi"])


def test_the_reference_answers_the_recorded_bytes(mock: TestClient) -> None:
    answers = []
    workloads = from_index(index(mock), ["omi", "pets-list"])
    for w in workloads:
        answer = mock.request(w.method, w.path, content=w.body_bytes, headers=w.headers())
        answers.append(recorded(w, answer.status_code, answer.headers["content-type"], answer.content))
    reference = TestClient(reference_app(answers))
    for w, expected in zip(workloads, answers, strict=True):
        answer = reference.request(w.method, w.path, content=w.body_bytes, headers=w.headers())
        assert answer.status_code == expected["status"]
        assert answer.content.hex() == expected["body_hex"]
        assert answer.headers["content-type"] == expected["content_type"]
    assert reference.get("/elsewhere").status_code == 404


def test_the_reference_served_by_a_server_reads_its_answers_from_bench_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = {"method": "GET", "path": "/x", "has_body": False, "status": 201, "content_type": "application/json"}
    (tmp_path / "answers.json").write_text(json.dumps([{**answer, "body_hex": b"[1]".hex()}]))
    monkeypatch.setenv("BENCH_ANSWERS", str(tmp_path / "answers.json"))
    served = TestClient(reference_app()).get("/x")  # as `uvicorn --factory` calls it
    assert (served.status_code, served.text, served.headers["content-type"]) == (201, "[1]", "application/json")

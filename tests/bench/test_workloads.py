"""The workload table against the real mock and the reference, in-process: every request
the harness sends must be a valid one (2xx), or the benchmark would measure error paths."""

import warnings

import pytest

from bench.errors import BenchError
from bench.reference import create_reference_app
from bench.workloads import TOKEN, WORKLOADS, Workload, check_listing, select
from mockserver import create_app
from mockserver.app import ServerConfig

with warnings.catch_warnings():  # starlette's notice about httpx, raised at import time
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.fixture(scope="module")
def mock() -> TestClient:
    return TestClient(create_app(config=ServerConfig(log_requests=False, tokens=frozenset({TOKEN}))))


def send(client: TestClient, workload: Workload, path: str | None = None, with_auth: bool = True) -> int:
    headers = workload.headers() if with_auth else {"Content-Type": "application/json"}
    response = client.request(workload.method, path or workload.path, content=workload.body_bytes, headers=headers)
    return int(response.status_code)


@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda w: w.api)
def test_every_workload_is_a_valid_request_to_the_mock(mock: TestClient, workload: Workload) -> None:
    assert send(mock, workload) == 200


@pytest.mark.parametrize("workload", [w for w in WORKLOADS if w.auth_header], ids=lambda w: w.api)
def test_the_credential_is_what_makes_it_pass(mock: TestClient, workload: Workload) -> None:
    assert send(mock, workload, with_auth=False) == 401


@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda w: w.api)
def test_the_reference_serves_the_same_paths(workload: Workload) -> None:
    client = TestClient(create_reference_app())
    assert send(client, workload) == 200
    assert client.request("GET", workload.path).status_code == 405


def test_the_mock_lists_every_workload(mock: TestClient) -> None:
    check_listing(mock.get("/").json(), WORKLOADS)


def test_a_listing_without_the_operation_is_reported() -> None:
    with pytest.raises(BenchError, match="omi"):
        check_listing({"apis": []}, select(["omi"]))


def test_select_keeps_table_order_and_rejects_unknown_names() -> None:
    assert [w.api for w in select(["openhands", "datagrid", "openhands"])] == ["datagrid", "openhands"]
    with pytest.raises(BenchError, match="unknown API nope"):
        select(["nope"])

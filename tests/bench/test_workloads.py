"""The workload table against the real mock and the reference, in-process: every request
the harness sends must be a valid one (2xx), or the benchmark would measure error paths."""

import warnings
from typing import Any

import pytest

from bench.errors import BenchError
from bench.reference import create_reference_app
from bench.workloads import LIST_ITEMS, MOCK_TARGETS, ROOT, TOKEN, WORKLOADS, Workload, check_listing, select
from mockserver import create_app
from mockserver.app import ServerConfig

with warnings.catch_warnings():  # starlette's notice about httpx, raised at import time
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.fixture(scope="module")
def mock() -> TestClient:
    config = ServerConfig(log_requests=False, tokens=frozenset({TOKEN}), seed_items=LIST_ITEMS)
    return TestClient(create_app([ROOT / target for target in MOCK_TARGETS], config))


def send(client: TestClient, workload: Workload, path: str | None = None, with_auth: bool = True) -> int:
    return int(answer(client, workload, path, with_auth).status_code)


def answer(client: TestClient, workload: Workload, path: str | None = None, with_auth: bool = True) -> Any:
    headers = workload.headers() if with_auth else {"Content-Type": "application/json"}
    return client.request(workload.method, path or workload.path, content=workload.body_bytes, headers=headers)


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
    assert client.request("GET" if workload.method != "GET" else "POST", workload.path).status_code == 405


def test_the_list_workload_answers_as_many_items_as_the_reference() -> None:
    [listing] = [w for w in WORKLOADS if w.method == "GET"]
    config = ServerConfig(log_requests=False, tokens=frozenset({TOKEN}), seed_items=LIST_ITEMS)
    mock = TestClient(create_app([ROOT / target for target in MOCK_TARGETS], config))
    mocked, reference = answer(mock, listing).json(), answer(TestClient(create_reference_app()), listing).json()
    assert len(mocked) == len(reference) == LIST_ITEMS
    assert len({pet["id"] for pet in mocked}) == LIST_ITEMS  # 50 distinct resources, not one repeated


def test_the_mock_lists_every_workload(mock: TestClient) -> None:
    check_listing(mock.get("/").json(), WORKLOADS)


def test_a_listing_without_the_operation_is_reported() -> None:
    with pytest.raises(BenchError, match="omi"):
        check_listing({"apis": []}, select(["omi"]))


def test_select_keeps_table_order_and_rejects_unknown_names() -> None:
    assert [w.api for w in select(["openhands", "datagrid", "openhands"])] == ["datagrid", "openhands"]
    with pytest.raises(BenchError, match="unknown API nope"):
        select(["nope"])

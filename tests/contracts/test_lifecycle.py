"""Across operations, on a multi-operation corpus document (petstore-expanded: list, create,
read and delete pets): the mock passes, and deployments that lose what they were told are
flagged, over a real socket."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from contracts.contract import compile_contract
from contracts.lifecycle import LIFECYCLE_CHECKS, lifecycle_roles
from mockserver import create_app
from mockserver.app import ServerConfig
from tests.contracts.faulty import Corrupted, Exchange
from tests.contracts.helpers import TOKEN
from tests.contracts.suite import SuiteRun, run_contracts
from tests.servers import serve

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
API = "petstore-expanded"
# Only the checks this test is about (and crashes): the mock's own conformance is judged elsewhere.
CHECKS = ",".join((*LIFECYCLE_CHECKS, "not_a_server_error"))


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("specs")
    shutil.copy(CORPUS / f"{API}.yaml", folder)
    return folder


def _run(specs: Path, before: Callable[[Exchange], None] = lambda exchange: None) -> SuiteRun:
    app = create_app([specs / f"{API}.yaml"], ServerConfig(log_requests=False))
    with serve(Corrupted(app, before, lambda exchange: None)) as server:
        return run_contracts(
            "--specs", str(specs), "--api", API, "--base-url", server + "/v2", "--max-examples", "5", "--checks", CHECKS
        )


def test_the_walkable_collections_of_a_document(specs: Path) -> None:
    (walk,) = lifecycle_roles(compile_contract(specs / f"{API}.yaml", TOKEN, live=False, path_params={}))
    assert walk.collection.path == "/pets" and walk.collection.id_field == "id"
    assert walk.create.label == "POST /pets" and walk.read.label == "GET /pets/{id}"
    assert walk.delete is not None and walk.listing is not None and walk.update is None


@pytest.mark.slow
def test_the_mock_keeps_what_it_was_told(specs: Path) -> None:
    run = _run(specs)
    assert run.exit_code == 0, run.output
    summary = run.summary(API)
    for check in ("create_read_back 1", "delete_removes 2", "list_shows_created 1"):
        assert check in summary, run.output
    assert "note: lifecycle: the suite created one resource per collection" in summary
    # A document of several operations also gets Schemathesis' stateful phase.
    assert run.phases(API).get("stateful", 0) > 0 and run.phases(API)["lifecycle"] > 0, run.output


def _lost_on_read(exchange: Exchange) -> None:
    if exchange.method == "GET" and exchange.path.startswith("/v2/pets/"):
        exchange.answer(404, {"code": 404, "message": "not found"})


def _delete_ignored(exchange: Exchange) -> None:
    if exchange.method == "DELETE":
        exchange.answer(204, b"", "application/json")


def _list_empty(exchange: Exchange) -> None:
    if exchange.method == "GET" and exchange.path == "/v2/pets":
        exchange.answer(200, [])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fault", "check", "title"),
    [
        (_lost_on_read, "create_read_back", "Created resource cannot be read back"),
        (_delete_ignored, "delete_removes", "Deleted resource still readable"),
        (_list_empty, "list_shows_created", "List omits a created resource"),
    ],
    ids=["created resource not readable", "delete that does not delete", "list omits created items"],
)
def test_a_deployment_that_loses_track_is_flagged(
    specs: Path, fault: Callable[[Exchange], None], check: str, title: str
) -> None:
    run = _run(specs, fault)
    assert run.exit_code == 1, run.output
    assert check in run.flagged(), run.output
    assert f"[{check}] ST901 {title}" in run.output

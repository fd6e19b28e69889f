"""`--workers N`: Schemathesis tests the operations of a document in parallel, and the suite's
verdict does not depend on it. Judged over a real socket, on a multi-operation corpus document
(petstore-expanded: list, create, read, delete), from what the server received."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver import create_app
from mockserver.app import ServerConfig
from tests.contracts.faulty import Corrupted, Exchange
from tests.contracts.suite import SuiteRun, run_contracts
from tests.servers import serve

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
API = "petstore-expanded"


class InFlight:
    """Pass requests to `app`, counting how many were in progress at once. Each one yields to
    the event loop for a moment first, so requests sent in parallel do overlap here."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.now, self.most, self.paths = app, 0, 0, set[tuple[str, str]]()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.now += 1
        self.most = max(self.most, self.now)
        self.paths.add((scope["method"], "/v2/pets/{id}" if scope["path"].startswith("/v2/pets/") else scope["path"]))
        try:
            await asyncio.sleep(0.005)
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("specs")
    shutil.copy(CORPUS / f"{API}.yaml", folder)
    return folder


def _nameless_pet(exchange: Exchange) -> None:
    """A read that drops the required `name` of the pet."""
    if exchange.method == "GET" and exchange.path.startswith("/v2/pets/") and exchange.status == 200:
        exchange.edit(lambda pet: pet.pop("name", None))


def _run(specs: Path, workers: int, faulty: bool = False) -> tuple[SuiteRun, InFlight]:
    app = create_app([specs / f"{API}.yaml"], ServerConfig(log_requests=False))
    server_side = InFlight(Corrupted(app, lambda exchange: None, _nameless_pet) if faulty else app)
    with serve(server_side) as server:
        run = run_contracts(
            *("--specs", str(specs), "--api", API, "--base-url", server + "/v2", "--max-examples", "5"),
            *("--workers", str(workers)),
        )
    return run, server_side


@pytest.mark.slow
def test_workers_run_operations_in_parallel_to_the_same_verdict(specs: Path) -> None:
    one, sequential = _run(specs, 1)
    two, parallel = _run(specs, 2)
    assert (one.exit_code, two.exit_code) == (0, 0), one.output + two.output
    # One worker sends one request at a time; two send two operations' requests at once.
    assert sequential.most == 1 and parallel.most >= 2, (sequential.most, parallel.most)
    every = {("GET", "/v2/pets"), ("POST", "/v2/pets"), ("GET", "/v2/pets/{id}"), ("DELETE", "/v2/pets/{id}")}
    assert every <= sequential.paths and every <= parallel.paths
    for run in (one, two):
        summary = run.summary(API)
        for compared in ("create_read_back 1", "delete_removes 2", "list_shows_created 1"):
            assert compared in summary, run.output
        assert run.phases(API).get("stateful", 0) > 0, run.output
    assert one.phases(API)["coverage"] == two.phases(API)["coverage"]


@pytest.mark.slow
def test_workers_flag_a_faulty_deployment_alike(specs: Path) -> None:
    one, _ = _run(specs, 1, faulty=True)
    two, parallel = _run(specs, 2, faulty=True)
    assert (one.exit_code, two.exit_code) == (1, 1), one.output + two.output
    assert "response_schema_conformance" in one.flagged() & two.flagged(), one.output + two.output
    assert parallel.most >= 2

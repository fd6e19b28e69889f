"""Faithful deployments pass: each mock over a real socket, and two hand-written FastAPI-like
services. Also the live-target promises: a bounded number of requests, and only ids the
suite was given (or made up) are touched."""

from __future__ import annotations

import re
from collections.abc import Hashable

import pytest
from starlette.applications import Starlette

from contracts.unusual import UNUSUAL_STRINGS
from mockserver.state import MemoryStore
from mockserver.types import JSON
from tests.contracts.fastapi_like import library_chat_app, openhands_app
from tests.contracts.faulty import mock_app
from tests.contracts.suite import MAX_EXAMPLES, run_suite
from tests.servers import serve

MIELTO_COVERAGE_CASES = 95  # the coverage phase of specs/mielto.yaml; see the README's bound
APIS = ("datagrid", "library-chat", "mielto", "omi", "openhands")
# The spec gaps each faithful deployment must hit, and the suite must show as warnings.
EXPECTED_GAPS = {
    "datagrid": ["(auth) 401", "(invalid_request) 422"],
    "mielto": ["(auth) 401"],
    "openhands": ["(auth) 401"],
}


@pytest.mark.slow
@pytest.mark.parametrize("api", APIS)
def test_mock_over_a_socket_passes(api: str) -> None:
    with serve(mock_app(api)) as server:
        run = run_suite(api, server)
    assert run.exit_code == 0, run.output
    assert run.summary(api).startswith(f"{api}: PASS"), run.output
    for gap in EXPECTED_GAPS.get(api, []):
        assert f"warning: tolerated spec gap {gap}" in run.summary(api), run.output
    assert run.count(api, "cases") > MAX_EXAMPLES


@pytest.mark.slow
@pytest.mark.parametrize(("api", "app"), [("openhands", openhands_app), ("library-chat", library_chat_app)])
def test_fastapi_like_service_passes(api: str, app: type[Starlette]) -> None:
    with serve(app()) as server:
        run = run_suite(api, server)
    assert run.exit_code == 0, run.output
    assert run.summary(api).startswith(f"{api}: PASS"), run.output


class RecordingStore(MemoryStore):
    """The mock's store, remembering every resource id an update wrote."""

    def __init__(self) -> None:
        super().__init__()
        self.written: set[str] = set()

    async def put(self, key: Hashable, value: JSON) -> None:
        self.written.add(value["id"])
        await super().put(key, value)


@pytest.mark.slow
def test_live_run_touches_only_made_up_or_given_ids() -> None:
    made_up, given = RecordingStore(), RecordingStore()
    with serve(mock_app("datagrid", made_up)) as server:
        run_suite("datagrid", server)
    with serve(mock_app("datagrid", given)) as server:
        run_suite("datagrid", server, "--path-param", "conversation_id=conv_given")
    assert len(made_up.written) == 1, made_up.written  # one fresh id per run
    assert all(re.fullmatch(r"contract-test-[0-9a-f]{16}", value) for value in made_up.written)
    assert given.written == {"conv_given"}


@pytest.mark.slow
def test_live_run_sends_a_bounded_number_of_requests() -> None:
    # The README's bound for a deployment that enforces credentials: each case adds at most a
    # second update, plus one pair of ignored_auth probes per operation.
    with serve(mock_app("mielto")) as server:
        small = run_suite("mielto", server, "--max-examples", "5")
        large = run_suite("mielto", server, "--max-examples", "40")
    for run, examples in ((small, 5), (large, 40)):
        cases, requests = run.count("mielto", "cases"), run.count("mielto", "requests")
        assert cases == MIELTO_COVERAGE_CASES + examples + len(UNUSUAL_STRINGS), run.output
        assert cases <= requests <= 2 * cases + 2, run.output

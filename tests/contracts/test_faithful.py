"""Faithful deployments pass: each mock over a real socket, a hand-written FastAPI-like service
of each API (independent of the mock), and deployments that answer the way a correct one may
(Datagrid's own error shape, an occasional rate limit, 404 for ids the suite made up). Also the live-target promises: a
bounded number of requests, and only ids the suite was given (or made up) are touched."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from starlette.types import ASGIApp

from contracts.unusual import UNUSUAL_STRINGS
from tests.contracts.catalogue import GIVEN_ID, serve_undeclared_methods
from tests.contracts.fastapi_like import datagrid_app, library_chat_app, mielto_app, omi_app, openhands_app
from tests.contracts.faulty import Exchange, Recording, mock_app, rewritten
from tests.contracts.suite import MAX_EXAMPLES, run_suite
from tests.servers import serve

APIS = ("datagrid", "library-chat", "mielto", "omi", "openhands")
# The spec gaps each faithful deployment must hit, and the suite must show as warnings.
EXPECTED_GAPS = {
    "datagrid": ["(auth) 401", "(invalid_request) 422"],
    "mielto": ["(auth) 401"],
    "openhands": ["(auth) 401"],
}
MADE_UP = re.compile(r"contract-test-[0-9a-f]{16}")
# Requests Schemathesis sends besides the cases: its connectivity probe, and per operation the
# two `ignored_auth` probes while the target has not yet shown that it enforces credentials.
EXTRA_REQUESTS = 1 + 2


@pytest.mark.slow
@pytest.mark.parametrize("api", APIS)
def test_mock_over_a_socket_passes(api: str) -> None:
    with serve(mock_app(api)) as server:
        run = run_suite(api, server)
    assert run.exit_code == 0, run.output
    assert run.summary(api).startswith(f"{api}: PASS"), run.output
    for gap in EXPECTED_GAPS.get(api, []):
        assert f"warning: tolerated spec gap {gap}" in run.summary(api), run.output
    phases = run.phases(api)
    assert phases["fuzzing"] > 0 and phases["coverage"] > 0 and phases["unusual"] == len(UNUSUAL_STRINGS), run.output
    assert run.count(api, "cases") == sum(phases.values()) > MAX_EXAMPLES


GIVEN = ("--path-param", f"conversation_id={GIVEN_ID}")
# These services serve exactly their spec, so they are also held to 405 for the other methods.
STRICT = ("--check-undeclared-methods",)
FASTAPI_LIKE: list[tuple[str, Callable[[], ASGIApp], tuple[str, ...]]] = [
    ("openhands", openhands_app, STRICT),
    ("library-chat", library_chat_app, STRICT),
    # These know one conversation and answer 404 for any other, like a real deployment.
    ("datagrid", lambda: datagrid_app(GIVEN_ID), (*GIVEN, *STRICT)),
    ("mielto", lambda: mielto_app(GIVEN_ID), (*GIVEN, *STRICT)),
    ("omi", lambda: omi_app(GIVEN_ID), (*GIVEN, *STRICT)),
]


@pytest.mark.slow
@pytest.mark.parametrize(("api", "app", "args"), FASTAPI_LIKE, ids=[api for api, _, _ in FASTAPI_LIKE])
def test_fastapi_like_service_passes(api: str, app: Callable[[], ASGIApp], args: tuple[str, ...]) -> None:
    with serve(app()) as server:
        run = run_suite(api, server, *args)
    assert run.exit_code == 0, run.output
    assert run.summary(api).startswith(f"{api}: PASS"), run.output
    assert re.search(r"accepted updates: [1-9]", run.summary(api)), run.output
    assert "note:" not in run.summary(api), run.output


def _datagrid_error(status: int) -> Callable[[Exchange], None]:
    """Datagrid's invalid-body answer in its own error shape (the one its RateLimitError
    uses) instead of FastAPI's: `{"error": "invalid_request", "message": "name: ..."}`."""

    def change(exchange: Exchange) -> None:
        if exchange.status == 422:
            first = exchange.json()["detail"][0]
            message = f"{'.'.join(map(str, first['loc'][1:])) or 'body'}: {first['msg']}"
            exchange.answer(status, {"error": "invalid_request", "message": message})

    return change


@pytest.mark.slow
@pytest.mark.parametrize("status", [400, 422])
def test_datagrid_rejections_in_its_own_shape_pass(status: int) -> None:
    # Datagrid declares no error answer, so FastAPI's `detail` is not due: 400 and 422 alike
    # only have to say what is wrong.
    with serve(rewritten("datagrid", after=_datagrid_error(status))) as server:
        run = run_suite("datagrid", server)
    assert run.exit_code == 0, run.output
    assert f"warning: tolerated spec gap (invalid_request) {status}" in run.summary("datagrid"), run.output
    assert re.search(r"validation_error_detail [1-9]", run.summary("datagrid")), run.output


def _415_without_a_body(exchange: Exchange) -> None:
    """Spring's or ASP.NET's answer to a request without a body or content type."""
    if not exchange.body or "content-type" not in exchange.headers:
        exchange.answer(415, {"error": "unsupported_media_type", "message": "Content-Type 'null' is not supported"})


@pytest.mark.slow
def test_datagrid_answering_415_to_a_body_less_request_passes() -> None:
    # Datagrid declares no answer for an invalid request: any correct rejection is a gap.
    with serve(rewritten("datagrid", before=_415_without_a_body)) as server:
        run = run_suite("datagrid", server)
    assert run.exit_code == 0, run.output
    assert "warning: tolerated spec gap (invalid_request) 415" in run.summary("datagrid"), run.output


def _workspace_fixed_at_creation(exchange: Exchange) -> None:
    """A conversation keeps the workspace it was created in: updates ignore X-Workspace-Id."""
    exchange.headers.pop("x-workspace-id", None)


@pytest.mark.slow
def test_mielto_fixing_the_workspace_at_creation_passes() -> None:
    # That an update moves the conversation to X-Workspace-Id is the mock's reading, not the
    # document's: a warning on a live target, never a violation.
    with serve(rewritten("mielto", before=_workspace_fixed_at_creation)) as server:
        run = run_suite("mielto", server)
    assert run.exit_code == 0, run.output
    summary = run.summary("mielto")
    assert "warning: inferred expectation not met (from_headers.workspace_id, update_applied)" in summary, run.output
    assert "inferred from_headers.workspace_id" in summary, run.output


def _rate_limit_every_third_success() -> Callable[[Exchange], None]:
    answered = 0

    def change(exchange: Exchange) -> None:
        nonlocal answered
        if 200 <= exchange.status < 300:
            answered += 1
            if answered % 3 == 0:
                body = {"status_code": 429, "error": "rate_limit_exceeded", "message": "Slow down", "retryable": True}
                exchange.answer(429, body)
                exchange.response_headers["retry-after"] = "1"

    return change


@pytest.mark.slow
def test_an_occasional_rate_limit_is_a_warning() -> None:
    with serve(rewritten("datagrid", after=_rate_limit_every_third_success())) as server:
        run = run_suite("datagrid", server)
    assert run.exit_code == 0, run.output
    assert re.search(r"^  warning: rate limited \(429\) x[1-9]", run.summary("datagrid"), re.MULTILINE), run.output


def _not_found_unless(known: str) -> Callable[[Exchange], None]:
    """404 for every conversation but `known`, where the mock would have applied the update
    (after authentication and validation, as a FastAPI handler would)."""

    def after(exchange: Exchange) -> None:
        if 200 <= exchange.status < 300 and not exchange.path.endswith(f"/{known}"):
            exchange.answer(404, {"detail": "Not Found"})

    return after


@pytest.mark.slow
def test_404_for_made_up_ids_passes_with_a_note() -> None:
    with serve(rewritten("datagrid", after=_not_found_unless(GIVEN_ID))) as server:
        unknown = run_suite("datagrid", server)
        given = run_suite("datagrid", server, "--path-param", f"conversation_id={GIVEN_ID}")
    assert unknown.exit_code == 0, unknown.output
    assert "warning: tolerated spec gap (unknown_id) 404" in unknown.summary("datagrid"), unknown.output
    assert "note: no update was accepted" in unknown.summary("datagrid"), unknown.output
    # With the id of an existing resource, the same deployment is exercised and passes.
    assert given.exit_code == 0, given.output
    assert "note: no update was accepted" not in given.summary("datagrid"), given.output
    assert "accepted updates: 0" not in given.summary("datagrid"), given.output


def _ids(seen: list[Any], method: str | None = None) -> set[str]:
    return {request.path.rsplit("/", 1)[-1] for request in seen if method is None or request.method == method}


@pytest.mark.slow
def test_live_run_touches_only_made_up_or_given_ids() -> None:
    made_up, given = Recording(mock_app("datagrid")), Recording(mock_app("datagrid"))
    with serve(made_up) as server:
        run_suite("datagrid", server)
    with serve(given) as server:
        run_suite("datagrid", server, "--path-param", f"conversation_id={GIVEN_ID}", *STRICT)
    # Every request but Schemathesis' connectivity probe addresses a conversation.
    probe = [r for r in made_up.seen + given.seen if not r.path.startswith("/v1/conversations/")]
    assert len(probe) == 2 and all("schemathesis-probe" in r.path for r in probe), probe
    made_up_ids = _ids([r for r in made_up.seen if r not in probe])
    assert len(made_up_ids) == 1 and all(MADE_UP.fullmatch(value) for value in made_up_ids), made_up_ids
    # The given id only gets the declared method (PATCH); the undeclared ones Schemathesis
    # probes for 405 (DELETE, POST, PUT...) go to a made-up id, never to the given resource.
    assert _ids(given.seen, "PATCH") == {GIVEN_ID}
    others = [r for r in given.seen if r.method != "PATCH" and r not in probe]
    assert {r.method for r in others} >= {"DELETE", "POST", "PUT"}, others
    assert len(_ids(others)) == 1 and all(MADE_UP.fullmatch(value) for value in _ids(others)), others


@pytest.mark.slow
def test_live_run_sends_a_bounded_number_of_requests() -> None:
    # The README's bound for a deployment that enforces credentials: every case, at most one
    # second update each, and the probes; judged by what the server actually received.
    runs = {}
    for examples in (5, 15):
        server_side = Recording(mock_app("mielto"))
        with serve(server_side) as server:
            runs[examples] = (run_suite("mielto", server, "--max-examples", str(examples)), len(server_side.seen))
    for examples, (run, received) in runs.items():
        phases, cases = run.phases("mielto"), run.count("mielto", "cases")
        assert cases == sum(phases.values()), run.output
        assert 0 < phases["fuzzing"] <= examples and phases["unusual"] == len(UNUSUAL_STRINGS), run.output
        assert received == run.count("mielto", "requests") + 1, run.output  # + the connectivity probe
        assert cases <= received <= 2 * cases + EXTRA_REQUESTS, run.output
    # The coverage phase is fixed by the spec: more examples only add fuzzing cases.
    assert runs[5][0].phases("mielto")["coverage"] == runs[15][0].phases("mielto")["coverage"]


def test_a_live_service_with_more_methods_than_its_spec_excerpt_passes() -> None:
    """The specs are one operation of larger APIs: a real GET or DELETE on the same path is
    not a violation on a live target unless --check-undeclared-methods asks for 405 (the
    catalogue's "undocumented method" fault shows that it is then flagged)."""
    with serve(rewritten("omi", before=serve_undeclared_methods)) as base_url:
        run = run_suite("omi", base_url)
    assert run.exit_code == 0, run.output
    assert "methods the spec does not declare were not probed" in run.output

"""The faults the suite must flag: at least one of each kind, spread over the five APIs.

Each lists every check that must flag it (at `suite.SEED`; `test_detection` asserts them
all). contracts/README.md's detection table is this list, rendered by `detection_table()`
(`python -m tests.contracts.catalogue` prints it; a test keeps the two equal).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from tests.contracts.faulty import Exchange, Fault, Hook

JSON = "application/json"
GIVEN_ID = "conv_given"  # the --path-param id of faults that need one


def on_success(change: Callable[[Any], Any]) -> Hook:
    """Edit the JSON body of every 2xx answer."""

    def hook(exchange: Exchange) -> None:
        if 200 <= exchange.status < 300:
            exchange.edit(change)

    return hook


def on_status(status: int, change: Callable[[Exchange], None]) -> Hook:
    def hook(exchange: Exchange) -> None:
        if exchange.status == status:
            change(exchange)

    return hook


def title_where(
    predicate: Callable[[Any], bool], status: int, body: Any, content_type: str = "application/json"
) -> Hook:
    """Answer `status` with `body` (instead of the mock) when the sent title matches."""

    def hook(exchange: Exchange) -> None:
        sent = exchange.request_json()
        if isinstance(sent, dict) and "title" in sent and predicate(sent["title"]):
            exchange.answer(status, body, content_type)

    return hook


def _set(path: str, value: Any) -> Callable[[Any], None]:
    def change(body: Any) -> None:
        *parents, last = path.split(".")
        for key in parents:
            body = body[key]
        body[last] = value

    return change


def _drop(key: str) -> Callable[[Any], None]:
    def change(body: Any) -> None:
        body.pop(key, None)

    return change


def _backwards() -> Callable[[Any], None]:
    minutes = itertools.count()

    def change(body: Any) -> None:
        # Every answer is a minute older than the previous one, still after created_at.
        body["created_at"] = "2020-01-01T00:00:00Z"
        step = next(minutes)
        body["updated_at"] = f"2024-06-{30 - step // 1440 % 28:02d}T{23 - step // 60 % 24:02d}:{59 - step % 60:02d}:00Z"

    return change


def _with_token(exchange: Exchange) -> None:
    exchange.headers["authorization"] = "Bearer T"


def _accept_anything(exchange: Exchange) -> None:
    if exchange.status == 422:
        exchange.answer(200, True)


def _valid_datagrid_body(exchange: Exchange) -> None:
    sent = exchange.request_json()
    valid = isinstance(sent, dict) and isinstance(sent.get("name", ""), str)
    valid = valid and isinstance(sent.get("agent_ids", []), list)
    if valid and exchange.headers.get("authorization") == "Bearer T":
        exchange.answer(422, {"detail": [{"loc": ["body", "name"], "msg": "Field required", "type": "missing"}]})


def _loc_body_only(exchange: Exchange) -> None:
    exchange.edit(lambda body: {"detail": [{**item, "loc": ["body"]} for item in body["detail"]]})


def _rate_limit_every_success(exchange: Exchange) -> None:
    """Datagrid's documented 429, well-formed, instead of every 2xx: nothing is ever applied."""
    if 200 <= exchange.status < 300:
        body = {"status_code": 429, "error": "rate_limit_exceeded", "message": "Slow down", "retryable": True}
        exchange.answer(429, body)
        exchange.response_headers["retry-after"] = "30"


def _not_found(exchange: Exchange) -> None:
    """404 to every authenticated update: the id given with --path-param is refused."""
    if exchange.method == "PATCH" and exchange.headers.get("authorization") == "Bearer T":
        exchange.answer(404, {"detail": "Conversation not found"})


def serve_undeclared_methods(exchange: Exchange) -> None:
    """Answer GET/DELETE/... on the operation's path with a 200, as a larger real API might."""
    if exchange.method not in ("PATCH", "PUT"):
        exchange.answer(200, {"id": "conv_1", "object": "conversation"})


def _reset_unsent(exchange: Exchange) -> None:
    """A PATCH that behaves like a PUT: what the request does not send is reset."""
    sent = exchange.request_json()
    if 200 <= exchange.status < 300 and isinstance(sent, dict):
        defaults = {"name": "", "agent_ids": []}
        exchange.edit(lambda body: body.update({key: value for key, value in defaults.items() if key not in sent}))


def _hang_on_long_name(exchange: Exchange) -> None:
    """Stall (longer than any test's --request-timeout) on a long valid name."""
    sent = exchange.request_json()
    if isinstance(sent, dict) and isinstance(sent.get("name"), str) and len(sent["name"]) > 500:
        exchange.hang = 5.0


def _not_ascii(title: Any) -> bool:
    return isinstance(title, str) and not title.isascii()


FAULTS: tuple[Fault, ...] = (
    Fault(
        "drops `created_at`",
        "datagrid",
        "missing required field",
        ("response_schema_conformance",),
        after=on_success(_drop("created_at")),
    ),
    Fault(
        "`workspace_id` is a number",
        "mielto",
        "wrong type",
        # Not `update_applied`: that an update takes X-Workspace-Id is inferred (a warning live).
        ("response_schema_conformance",),
        after=on_success(_set("workspace_id", 42)),
    ),
    Fault(
        "`title: null`",
        "library-chat",
        "null where not allowed",
        ("response_schema_conformance", "update_applied"),
        after=on_success(_set("title", None)),
    ),
    Fault(
        '`structured.category: "gossip"`',
        "omi",
        "enum violation",
        ("response_schema_conformance",),
        after=on_success(_set("structured.category", "gossip")),
    ),
    Fault(
        "`updated_at` without a zone",
        "datagrid",
        "bad date-time",
        ("response_schema_conformance", "timestamps_coherent"),
        after=on_success(_set("updated_at", "2024-05-01T10:00:00")),
    ),
    Fault(
        "a non-ASCII title",
        "omi",
        "500 on unusual valid input",
        ("not_a_server_error", "status_code_conformance"),
        before=title_where(_not_ascii, 500, b"Internal Server Error", "text/plain; charset=utf-8"),
    ),
    Fault(
        "a title over 100 characters",
        "library-chat",
        "500 on unusual valid input",
        ("not_a_server_error", "status_code_conformance"),
        before=title_where(lambda t: isinstance(t, str) and len(t) > 100, 500, {"detail": "boom"}),
    ),
    Fault(
        "answers `true` to anything",
        "openhands",
        "accepts an invalid body",
        ("negative_data_rejection",),
        after=_accept_anything,
    ),
    Fault(
        "422 for a null or 300+ character title",
        "omi",
        "rejects a valid body",
        ("positive_data_acceptance", "unusual_input_accepted"),
        before=title_where(
            lambda t: t is None or (isinstance(t, str) and len(t) > 300),
            422,
            {"detail": [{"loc": ["body", "title"], "msg": "Invalid", "type": "value_error"}]},
        ),
    ),
    Fault(
        "422, undocumented there, for every valid body",
        "datagrid",
        "rejects a valid body",
        (
            "positive_data_acceptance",
            "status_code_conformance",
            "unusual_input_accepted",
            "valid_requests_accepted",
            "validation_error_detail",
        ),
        before=_valid_datagrid_body,
    ),
    Fault(
        "no credential check",
        "mielto",
        "ignores credentials",
        ("ignored_auth", "credentials_honoured", "missing_required_header", "negative_data_rejection"),
        before=_with_token,
    ),
    Fault(
        "401, undocumented there, to the valid token",
        "datagrid",
        "refuses valid credentials",
        ("credentials_honoured", "status_code_conformance", "unusual_input_accepted", "valid_requests_accepted"),
        before=lambda exchange: exchange.answer(401, {"detail": "Not authenticated"}),
    ),
    Fault(
        "201 instead of 200",
        "library-chat",
        "undocumented status",
        ("status_code_conformance",),
        after=on_status(200, lambda exchange: setattr(exchange, "status", 201)),
    ),
    Fault(
        "`text/plain`",
        "datagrid",
        "wrong content type",
        ("content_type_conformance",),
        after=on_status(200, lambda exchange: exchange.response_headers.update({"content-type": "text/plain"})),
    ),
    Fault(
        "empty `detail`",
        "library-chat",
        "unhelpful 422",
        ("validation_error_detail",),
        after=on_status(422, lambda exchange: exchange.answer(422, {"detail": []})),
    ),
    Fault(
        '`loc` is `["body"]`, not the field',
        "openhands",
        "unhelpful 422",
        ("validation_error_detail",),
        after=on_status(422, _loc_body_only),
    ),
    Fault(
        "`name` keeps its value",
        "datagrid",
        "update not applied",
        ("update_applied",),
        after=on_success(_set("name", "Unchanged name")),
    ),
    Fault(
        "`structured.title` keeps its value",
        "omi",
        "update not applied",
        ("update_applied",),
        after=on_success(_set("structured.title", "Unchanged title")),
    ),
    Fault(
        "always `conv_1`",
        "mielto",
        "wrong resource id",
        ("resource_identity",),
        after=on_success(_set("id", "conv_1")),
    ),
    Fault(
        "`created_at` after `updated_at`",
        "library-chat",
        "incoherent timestamps",
        ("timestamps_coherent",),
        after=on_success(_set("created_at", "2999-01-01T00:00:00Z")),
    ),
    Fault(
        "`updated_at` goes backwards across updates",
        "datagrid",
        "incoherent timestamps",
        ("timestamps_coherent",),
        after=on_success(_backwards()),
    ),
    Fault(
        "`participated_agent_ids` shrinks",
        "datagrid",
        "broken invariant",
        ("accumulate_invariant",),
        after=on_success(lambda body: body.update(participated_agent_ids=list(body.get("agent_ids") or []))),
    ),
    Fault(
        "429 `rate_limit_exceeded` with `Retry-After` for every valid request",
        "datagrid",
        "never accepts an update",
        ("valid_requests_accepted",),
        after=_rate_limit_every_success,
    ),
    Fault(
        "404 for the `--path-param` id",
        "omi",
        "refuses the given id",
        ("positive_data_acceptance", "unusual_input_accepted", "valid_requests_accepted"),
        before=_not_found,
        args=("--path-param", f"conversation_id={GIVEN_ID}"),
    ),
    Fault(
        "empty `{}` for an invalid body",
        "datagrid",
        "unhelpful 400",
        ("validation_error_detail",),
        after=on_status(422, lambda exchange: exchange.answer(400, {})),
    ),
    Fault(
        "200 to a method the spec does not declare, with --check-undeclared-methods",
        "omi",
        "undocumented method",
        ("unsupported_method",),
        before=serve_undeclared_methods,
        args=("--check-undeclared-methods",),
    ),
    Fault(
        "`name` and `agent_ids` reset when not sent",
        "datagrid",
        "partial update that wipes fields",
        ("partial_update_kept",),
        after=_reset_unsent,
    ),
    Fault(
        "no answer for a `name` over 500 characters",
        "datagrid",
        "request that hangs",
        ("request_timeout",),
        before=_hang_on_long_name,
        args=("--request-timeout", "1"),
    ),
)


API_TITLES = {
    "datagrid": "Datagrid",
    "library-chat": "library-chat",
    "mielto": "Mielto",
    "omi": "Omi",
    "openhands": "OpenHands",
}


def detection_table() -> list[str]:
    """The README's detection table: fault, API, every check that flags it."""
    rows = ["| fault | API | flagged by (each asserted by `test_detection`) |", "|---|---|---|"]
    for fault in FAULTS:
        checks = ", ".join(f"`{check}`" for check in fault.checks)
        rows.append(f"| {fault.kind} ({fault.name}) | {API_TITLES[fault.api]} | {checks} |")
    return rows


if __name__ == "__main__":
    print("\n".join(detection_table()))

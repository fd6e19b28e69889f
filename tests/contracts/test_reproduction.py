"""Every finding comes with a curl command that replays the request; secrets stay out."""

from __future__ import annotations

import shlex

from contracts.curl import curl_command
from contracts.sent import SentRequest
from tests.contracts.helpers import TOKEN, contract


def _request(headers: dict[str, str], body: bytes) -> SentRequest:
    url = "http://testserver/v1/conversations/a%2Fb?x=1"
    return SentRequest("PATCH", url, headers, {"x": "1"}, body)


def test_curl_replays_method_headers_body_and_url() -> None:
    request = _request({"content-type": "application/json", "user-agent": "python"}, b'{"name": "it\'s"}')
    words = shlex.split(curl_command(request))
    assert words == [
        "curl", "-X", "PATCH", "-H", "content-type: application/json",
        "--data-raw", '{"name": "it\'s"}', "http://testserver/v1/conversations/a%2Fb?x=1",
    ]  # fmt: skip


def test_in_process_requests_point_at_a_served_mock() -> None:
    command = curl_command(_request({}, b""), origin="http://127.0.0.1:4010")
    assert command.endswith("'http://127.0.0.1:4010/v1/conversations/a%2Fb?x=1'")


def test_binary_bodies_go_through_stdin() -> None:
    command = curl_command(_request({}, b"\x00\xff"))
    assert command.startswith("printf '%b' '\\x00\\xff' | curl ")
    assert "--data-binary @-" in command


def test_the_token_becomes_a_placeholder_the_shell_expands() -> None:
    credentials = contract("datagrid").credentials
    request = _request({"authorization": f"Bearer {TOKEN}"}, f'{{"name": "{TOKEN}"}}'.encode())
    command = curl_command(request, redact=credentials.redact, redact_header=credentials.redact_header)
    assert TOKEN not in command
    assert '-H "authorization: Bearer ${CONTRACT_TOKEN}"' in command


def test_short_tokens_are_hidden_in_credential_headers_only() -> None:
    from contracts.credentials import credentials_for
    from mockserver.app import DEFAULT_SPECS
    from mockserver.loader import load_spec

    credentials = credentials_for(load_spec(DEFAULT_SPECS / "openhands.yaml"), "T")
    assert credentials.redact_header("X-Session-API-Key", "T") == "${CONTRACT_TOKEN}"
    assert credentials.redact("Traceback: T") == "Traceback: T"

"""`rsgi`: the mock on granian's RSGI interface. In-process, over a stand-in for granian's
scope and protocol: every kind of request gets the same status, headers and body as over
ASGI (the journal's durations aside), and an operation's goes the short way (the pipeline's
`serve` is not called). Over a real socket on granian: what RSGI hands the app, as the
module docstring says."""

from __future__ import annotations

import asyncio
import functools
import re
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient
from starlette.types import Message

from tests.servers import NEEDS_GRANIAN

pytestmark = NEEDS_GRANIAN
granian = pytest.importorskip("granian")

from granian._granian import RSGIProtocolClosed  # noqa: E402

from mockserver import create_app  # noqa: E402
from mockserver.app import MockApp, ServerConfig  # noqa: E402
from mockserver.rsgi import Receive, RSGIApp, Send, asgi_scope, routed  # noqa: E402
from tests.mockserver.seed_apis import ROOT, SEED_APIS, TOKEN  # noqa: E402
from tests.servers import serve, serve_on_granian  # noqa: E402

OMI = SEED_APIS["omi"]


class Headers:
    """granian's `RSGIHeaders`: lower-case names, in the order sent."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self.pairs = [(k.lower(), v) for k, v in pairs]

    def __contains__(self, key: str) -> bool:
        return any(k == key for k, _ in self.pairs)

    def items(self) -> list[tuple[str, str]]:
        return list(self.pairs)

    def get(self, key: str, default: Any = None) -> Any:
        return next((v for k, v in self.pairs if k == key), default)


@dataclass
class Scope:
    method: str
    path: str  # percent-decoded, as granian gives it
    query_string: str
    headers: Headers
    proto: str = "http"
    http_version: str = "1.1"
    scheme: str = "http"
    client: str = "127.0.0.1:50000"
    server: str = "127.0.0.1:8000"


@dataclass
class Protocol:
    """granian's `RSGIHTTPProtocol` over a body in `chunks`; the answer it was given."""

    chunks: list[bytes] = field(default_factory=list)
    cut: bool = False  # the client goes after the chunks
    answer: tuple[int, list[tuple[str, str]], bytes] | None = None
    streamed: list[bytes] = field(default_factory=list)

    async def __call__(self) -> bytes:
        if self.cut:
            raise RSGIProtocolClosed("closed")
        return b"".join(self.chunks)

    def __aiter__(self) -> AsyncIterator[bytes]:
        async def chunks() -> AsyncIterator[bytes]:  # granian's ends where the client went, cut or not
            for chunk in self.chunks:
                yield chunk

        return chunks()

    async def client_disconnect(self) -> None:
        return None

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        assert self.answer is None, "answered twice"
        self.answer = (status, headers, body)

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> Protocol:
        self.response_bytes(status, headers, b"")
        return self

    async def send_bytes(self, data: bytes) -> None:
        self.streamed.append(data)


PETS = "/petstore-expanded/v2/pets"
Sent = list[tuple[str, str]]


def _app() -> MockApp:
    config = ServerConfig(log_requests=False, tokens=frozenset({TOKEN}), clock=lambda: 1_700_000_000.0)
    return create_app([ROOT / "specs", ROOT / "tests" / "corpus" / "petstore-expanded.yaml"], config)


def _over_asgi(client: TestClient, method: str, url: str, headers: Sent, body: bytes) -> tuple[Any, ...]:
    response = client.request(method, url, headers=headers, content=body)
    return response.status_code, sorted(response.headers.multi_items()), response.content


def _over_rsgi(app: RSGIApp, method: str, url: str, headers: Sent, body: bytes) -> tuple[Any, ...]:
    path, _, query = url.partition("?")
    sent = [("host", "testserver"), *([("content-length", str(len(body)))] if body else []), *headers]
    protocol = Protocol([body] if body else [])
    scope = Scope(method, httpx.URL(path).path, query, Headers(sent))
    asyncio.run(app.__rsgi__(scope, protocol))  # type: ignore[arg-type]
    assert protocol.answer is not None, "no answer"
    status, head, content = protocol.answer
    return status, sorted((name.lower(), value) for name, value in head), content + b"".join(protocol.streamed)


AUTH = list(OMI.auth.items())
JSON = [("Content-Type", "application/json")]
WRONG = [("Authorization", "Bearer wrong")]
REQUESTS: list[tuple[str, str, Sent, bytes, bool]] = [  # method, URL, headers, body, the short way
    ("GET", "/", [], b"", False),  # the first request: the initial state is written, through Starlette
    ("PATCH", OMI.url("c-1"), [*AUTH, *JSON], b'{"title": "Q3", "discarded": false}', True),
    ("PATCH", OMI.url("c-1") + "?a=1&a=2", [*AUTH, *JSON, ("X-A", "1")], b'{"title": "Q4"}', True),
    ("PATCH", OMI.url("c-1"), [*AUTH, *WRONG, *JSON], b'{"title": "Q5"}', True),  # the first header wins
    ("PATCH", OMI.url("c-1"), [*WRONG, *AUTH, *JSON], b'{"title": "Q6"}', True),
    ("PATCH", OMI.url("c-1"), [*AUTH, *JSON], b'{"title": 5}', True),  # invalid
    ("PATCH", OMI.url("c-1"), [*AUTH, *JSON], b'{"title": ', True),  # malformed
    ("PATCH", OMI.url("c-1"), JSON, b"{}", True),  # no credentials
    ("PATCH", OMI.url("caf%C3%A9%2050%25"), [*AUTH, *JSON], b"{}", True),  # "café 50%"
    ("POST", PETS, JSON, b'{"name": "Rex", "tag": "dog"}', True),
    ("GET", PETS + "?limit=2", [], b"", True),
    ("HEAD", PETS + "?limit=2", [], b"", True),
    ("DELETE", OMI.url("c-1"), AUTH, b"", False),  # 405
    ("GET", "/nowhere", [], b"", False),
    ("GET", "/__mock/requests?limit=20", [], b"", False),
    ("PATCH", OMI.url("c-1"), [*AUTH, *JSON, ("Origin", "https://a.test")], b"{}", False),
    ("OPTIONS", OMI.url("c-1"), [("Origin", "https://a.test"), ("Access-Control-Request-Method", "PATCH")], b"", False),
]


def test_every_request_is_answered_as_over_asgi_and_an_operation_s_the_short_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, app = TestClient(_app()), RSGIApp(_app())
    served: list[str] = []
    for method, url, headers, body, short in REQUESTS:
        pipeline = app.mock.pipeline if app.mock is not None else None
        if pipeline is not None:
            serve = pipeline.serve
            monkeypatch.setattr(pipeline, "serve", functools.partial(_counted, serve, served, url))
        before = len(served)
        rsgi = _timeless(_over_rsgi(app, method, url, headers, body))
        assert rsgi == _timeless(_over_asgi(client, method, url, headers, body)), (method, url)
        went_short = pipeline is not None and len(served) == before and "Origin" not in dict(headers)
        assert went_short == short, (method, url)


def _timeless(answer: tuple[Any, ...]) -> tuple[Any, ...]:
    """An answer with the journal's durations left out, and so its length (the journal itself is compared)."""
    status, headers, body = answer
    timeless = re.sub(rb'"duration_ms":[0-9.]+', b"", body)
    if timeless != body:
        headers = [(name, value) for name, value in headers if name != "content-length"]
    return status, headers, timeless


async def _counted(serve: Any, served: list[str], url: str, *args: Any) -> None:
    served.append(url)
    await serve(*args)


def test_routed_escapes_what_a_decoded_path_would_lose() -> None:
    assert routed("/v1/things/a b") == "/v1/things/a b"
    assert routed("/v1/things/50%") == "/v1/things/50%25"
    assert routed("/v1/things/caf\u00e9") == "/v1/things/caf%C3%A9"
    assert routed("/v1/a:b@c!$&'()*+,;=-._~") == "/v1/a:b@c!$&'()*+,;=-._~"


def test_the_asgi_scope_of_an_rsgi_request() -> None:
    headers = Headers([("Host", "a"), ("X-A", "1"), ("X-A", "2")])
    scope = Scope("GET", "/p/50%", "x=%20y&q=\u20ac", headers, client="[::1]:5000", server="[::1]:8000")
    made = asgi_scope(scope, routed(scope.path))  # type: ignore[arg-type]
    assert made["path"] == "/p/50%" and made["raw_path"] == b"/p/50%25"
    assert made["query_string"] == b"x=%20y&q=\xe2\x82\xac"  # as sent: granian decodes a raw query as UTF-8
    assert made["headers"] == [(b"host", b"a"), (b"x-a", b"1"), (b"x-a", b"2")]
    assert made["client"] == ("::1", 5000) and made["server"] == ("::1", 8000)


@pytest.mark.parametrize("length, whole", [(4, True), (4, False), (None, False)])
def test_receive_reads_the_body_then_waits_for_the_client_to_go(length: int | None, whole: bool) -> None:
    async def messages() -> list[Message]:
        receive = Receive(Protocol([b"ab", b"cd"]), length, whole)  # type: ignore[arg-type]
        got = [await receive()]
        while got[-1].get("more_body"):
            got.append(await receive())
        return [*got, await receive()]

    got = asyncio.run(messages())
    assert b"".join(m.get("body", b"") for m in got) == b"abcd"
    assert [m.get("more_body", False) for m in got[:-1]] == ([False] if whole else [True, True, False])
    assert got[-1] == {"type": "http.disconnect"}


@pytest.mark.parametrize("whole", [True, False])
def test_a_body_cut_short_of_its_length_is_a_disconnect(whole: bool) -> None:
    async def messages() -> list[Message]:
        receive = Receive(Protocol([b"ab"], cut=True), 4, whole)  # type: ignore[arg-type]
        return [await receive() for _ in range(1 if whole else 2)]

    assert asyncio.run(messages())[-1] == {"type": "http.disconnect"}


def test_a_chunked_body_ends_where_granian_s_iterator_does() -> None:
    """The documented difference: granian gives no sign that a chunked body was cut."""

    async def messages() -> list[Message]:
        receive = Receive(Protocol([b"ab"], cut=True), None)  # type: ignore[arg-type]
        return [await receive() for _ in range(2)]

    assert [m.get("more_body") for m in asyncio.run(messages())] == [True, False]


def test_send_streams_a_body_in_several_messages() -> None:
    protocol = Protocol()
    send = Send(protocol)  # type: ignore[arg-type]

    async def answer() -> None:
        await send({"type": "http.response.start", "status": 201, "headers": [(b"x-a", b"1")]})
        await send({"type": "http.response.body", "body": b"ab", "more_body": True})
        await send({"type": "http.response.body", "body": b"cd"})

    asyncio.run(answer())
    assert protocol.answer == (201, [("x-a", "1")], b"")
    assert protocol.streamed == [b"ab", b"cd"]


@pytest.fixture(scope="module")
def on_both(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The mock of the seed APIs on uvicorn and on granian: their base URLs."""
    config = ServerConfig(log_requests=False, tokens=frozenset({TOKEN}))
    log = Path(tmp_path_factory.mktemp("granian")) / "output.txt"
    granian_app = functools.partial(create_app, None, config)
    with serve(create_app(None, config)) as uvicorn_url, serve_on_granian(granian_app, log) as granian_url:
        yield {"uvicorn": uvicorn_url, "granian": granian_url}


def _path_id(base: str, raw_id: str) -> Any:
    """The conversation id the mock read from a path holding `raw_id` as sent."""
    with httpx.Client(timeout=10) as client:
        client.get(base + "/")  # the initial state written: the next request goes the short way
        response = client.patch(base + OMI.url(raw_id), headers=OMI.auth, json={"title": "Q3"})
    return response.status_code, response.json().get("id") if response.status_code == 200 else None


def test_over_granian_a_percent_and_characters_beyond_ascii_arrive_as_sent(on_both: dict[str, str]) -> None:
    for raw_id, sent in [("50%25", "50%"), ("50%2541", "50%41"), ("caf%C3%A9", "caf\u00e9"), ("a%20b", "a b")]:
        assert _path_id(on_both["granian"], raw_id) == _path_id(on_both["uvicorn"], raw_id) == (200, sent)


def test_over_granian_an_encoded_slash_is_a_slash(on_both: dict[str, str]) -> None:
    assert _path_id(on_both["uvicorn"], "a%2Fb") == (200, "a/b")
    assert _path_id(on_both["granian"], "a%2Fb")[0] == 404  # /conversations/a/b: no such path


def test_over_granian_a_header_value_beyond_ascii_is_left_out(on_both: dict[str, str]) -> None:
    """A bearer token of "T\u00e9": uvicorn reads it (the wrong token); granian answers as to
    a request without the header, as uvicorn answers that one."""

    def answer(base: str, authorization: bytes | None) -> tuple[int, str]:
        headers = [(b"Content-Type", b"application/json")]
        if authorization is not None:
            headers.append((b"Authorization", authorization))
        with httpx.Client(timeout=10) as client:
            response = client.patch(base + OMI.url("c-1"), headers=headers, content=b"{}")
        return response.status_code, response.text

    beyond = f"Bearer {TOKEN}\u00e9".encode()
    missing = answer(on_both["uvicorn"], None)
    assert missing[0] == 401
    assert answer(on_both["granian"], beyond) == missing == answer(on_both["granian"], None)
    assert answer(on_both["uvicorn"], beyond)[0] == 401
    assert answer(on_both["uvicorn"], beyond) != missing  # uvicorn saw a (wrong) token


def _raw(base: str, head: bytes, body: bytes = b"", wait: float = 5.0) -> bytes:
    """What the server answers to `head` and `body` sent as they are, within `wait` seconds."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        sock.sendall(head + body)
        return sock.recv(4096)


@pytest.mark.parametrize("target", [b"/nowhere?q=\xe2\x82\xac", b"/__mock/requests?q=\xe2\x82\xac"])
def test_a_query_sent_as_raw_utf8_is_never_a_500(on_both: dict[str, str], target: bytes) -> None:
    """uvicorn refuses it (400); granian hands it over decoded, and the ASGI call encodes it back."""
    for server, base in on_both.items():
        answer = _raw(base, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status = int(answer.split(b" ", 2)[1])
        assert status < 500, (server, answer[:200])


def test_over_granian_the_admin_api_refuses_a_large_body_before_it_has_all_of_it(on_both: dict[str, str]) -> None:
    """A PUT declaring 400 MiB, of which 2 MiB are sent: its 413 comes at the admin API's
    limit (1 MiB), not after granian has read the whole body (it would wait for the rest)."""
    head = (
        b"PUT /__mock/state/omi/v1/dev/user/conversations/c-1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % (400 << 20)
    )
    for server, base in on_both.items():
        answer = _raw(base, head, b" " * (2 << 20))
        assert answer.startswith(b"HTTP/1.1 413"), (server, answer[:200])

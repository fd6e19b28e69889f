"""Faults on purpose, over real sockets: `Prefer: delay=` and `fault=reset` per request,
`--latency`, `--error-rate` and `--rate-limit` per server. Times are lower bounds only (a
delay is at least what was asked); no assertion depends on the machine being fast."""

from __future__ import annotations

import math
import socket
import time
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from contracts.oracle import SpecOracle
from mockserver import create_app
from mockserver.app import ServerConfig
from mockserver.faults import parse_rate_limit
from tests.mockserver.seed_apis import SEED_APIS, TOKEN
from tests.servers import serve

TIMEOUT = 15.0


def _server(**config: object) -> Iterator[str]:
    app = create_app(None, ServerConfig(log_requests=False, tokens=frozenset({TOKEN}), **config))  # type: ignore[arg-type]
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    yield from _server()


def _patch(base_url: str, name: str, prefer: str | None = None, item: str = "c1") -> httpx.Response:
    api = SEED_APIS[name]
    headers = api.headers(**({"Prefer": prefer} if prefer else {}))
    return httpx.request(api.method, base_url + api.url(item), json=api.valid_body, headers=headers, timeout=TIMEOUT)


def test_prefer_delay_answers_no_sooner_than_asked(base_url: str) -> None:
    started = time.monotonic()
    response = _patch(base_url, "datagrid", "delay=400")
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.4


def test_a_delayed_answer_does_not_hold_up_another_client(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=TIMEOUT) as slow:
        api = SEED_APIS["datagrid"]
        pending = slow.build_request("PATCH", api.url("c1"), json={}, headers=api.headers(Prefer="delay=1500"))
        stream = slow.send(pending, stream=True)  # answered after 1.5 s at the earliest
        try:
            started = time.monotonic()
            assert _patch(base_url, "datagrid").status_code == 200
            assert time.monotonic() - started < 1.5  # served while the other still waits
        finally:
            stream.close()


@pytest.mark.parametrize("value", ["10001", "-1", "abc", "9" * 5000, ""])
def test_a_delay_out_of_bounds_is_a_400(base_url: str, value: str) -> None:
    response = _patch(base_url, "datagrid", f"delay={value}")
    assert response.status_code == 400
    assert "delay" in response.json()["detail"] and len(response.content) < 500


def test_prefer_fault_reset_closes_the_connection_without_an_answer(base_url: str) -> None:
    parts = urlsplit(base_url)
    api = SEED_APIS["datagrid"]
    head = (
        f"PATCH {api.url('c1')} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Prefer: fault=reset\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT) as sock:
        sock.sendall(head.encode())
        try:
            received = sock.recv(65536)
        except ConnectionResetError:
            received = b""
    assert received == b""  # closed (reset) with no byte of an answer
    with pytest.raises(httpx.TransportError):
        _patch(base_url, "datagrid", "fault=reset")
    assert _patch(base_url, "datagrid").status_code == 200  # and the server goes on


def test_an_unknown_fault_is_a_400(base_url: str) -> None:
    response = _patch(base_url, "datagrid", "fault=explode")
    assert response.status_code == 400 and "reset" in response.json()["detail"]


def test_latency_delays_every_request() -> None:
    for url in _server(latency=(150, 250)):
        for _ in range(3):
            started = time.monotonic()
            assert _patch(url, "omi").status_code == 200
            assert time.monotonic() - started >= 0.15


def test_error_rate_answers_declared_errors_within_a_binomial_bound() -> None:
    rate, count = 0.25, 400
    oracle = SpecOracle(SEED_APIS["omi"].spec)
    spec_path = SEED_APIS["omi"].spec_path
    declared_errors = {int(s) for s in oracle.declared_statuses("PATCH", spec_path) if s[0] in "45"}
    statuses: Counter[int] = Counter()
    for url in _server(error_rate=rate, seed=11):
        with httpx.Client(base_url=url, timeout=TIMEOUT) as client:
            api = SEED_APIS["omi"]
            for index in range(count):
                response = client.patch(api.url(f"c{index}"), json=api.valid_body, headers=api.auth)
                statuses[response.status_code] += 1
                if response.status_code != 200:
                    declared = oracle.response("PATCH", spec_path, response.status_code)
                    assert declared is not None, response.status_code
                    assert declared.errors(response.json()) == [], response.text[:300]
    injected = count - statuses[200]
    spread = 4.5 * math.sqrt(count * rate * (1 - rate))  # a false alarm about once in 150,000 runs
    assert abs(injected - count * rate) <= spread, statuses
    assert set(statuses) - {200} <= declared_errors, statuses
    assert len(set(statuses) - {200}) > 1, statuses  # chosen among them, not always the same


def test_the_61st_request_in_a_minute_gets_a_429_valid_against_the_spec() -> None:
    api = SEED_APIS["datagrid"]
    oracle = SpecOracle(api.spec)
    for url in _server(rate_limit=parse_rate_limit("60/min")):
        with httpx.Client(base_url=url, timeout=TIMEOUT) as client:
            answers = [client.patch(api.url(f"c{i}"), json={}, headers=api.auth).status_code for i in range(60)]
            assert answers == [200] * 60
            limited = client.patch(api.url("c61"), json={}, headers=api.auth)
            assert limited.status_code == 429, limited.text
            assert 1 <= int(limited.headers["Retry-After"]) <= 60
            assert limited.headers["X-RateLimit-Limit"] == "60"
            assert limited.headers["X-RateLimit-Remaining"] == "0"
            declared = oracle.response("PATCH", api.spec_path, 429)
            assert declared is not None and declared.validator is not None
            assert declared.errors(limited.json()) == []
            assert "rate limit" in limited.json()["message"]
            # Per endpoint: another API's operation is not limited by this one's window.
            assert _patch(url, "omi").status_code == 200


@pytest.mark.parametrize("text", ["60", "60/fortnight", "0/min", "x/min", "9" * 5000 + "/s"])
def test_a_bad_rate_limit_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="60/min"):
        parse_rate_limit(text)

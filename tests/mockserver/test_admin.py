"""The admin API under /__mock/ over real sockets: health, the request journal (what a
client sent, with the problems of a rejected request), the admin token, and the refusal to
listen beyond loopback without one."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.app import ServerConfig
from mockserver.cli import admin_refusal
from mockserver.journal import Journal
from tests.mockserver.conftest import AppFactory
from tests.mockserver.running import free_port, mock_process
from tests.mockserver.seed_apis import ROOT, SEED_APIS, TOKEN
from tests.servers import serve

TIMEOUT = 10.0


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    app = create_app(None, ServerConfig(log_requests=False, tokens=frozenset({TOKEN}), journal_size=50))
    with serve(app) as url:
        yield url


def _journal(base_url: str, **params: str) -> list[dict[str, object]]:
    response = httpx.get(base_url + "/__mock/requests", params=params, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    entries = response.json()["requests"]
    assert isinstance(entries, list)
    return entries


def test_health(base_url: str) -> None:
    response = httpx.get(base_url + "/__mock/health", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_the_journal_holds_the_problems_of_a_rejected_request(base_url: str) -> None:
    api = SEED_APIS["mielto"]
    sent = httpx.put(
        base_url + api.url("journal-1"), json={"title": 7, "bogus": True}, headers=api.auth, timeout=TIMEOUT
    )
    assert sent.status_code == 422
    entry = _journal(base_url, api="mielto", status="422", limit="1")[0]
    assert entry["method"] == "PUT" and entry["path"] == api.url("journal-1")
    assert entry["api"] == "mielto" and entry["status"] == 422
    assert isinstance(entry["operation"], str) and entry["operation"]
    problems = entry["violations"]
    assert isinstance(problems, list)
    assert {(tuple(p["loc"]), p["type"]) for p in problems} == {
        (tuple(item["loc"]), item["type"]) for item in sent.json()["detail"]
    }
    assert any(p["loc"] == ["body", "title"] for p in problems), problems
    assert isinstance(entry["problem"], str) and "title" in entry["problem"]


def test_the_journal_is_newest_first_and_filtered(base_url: str) -> None:
    api = SEED_APIS["datagrid"]
    for name in ("first", "second"):
        assert httpx.patch(base_url + api.url(name), json={}, headers=api.auth, timeout=TIMEOUT).status_code == 200
    httpx.get(base_url + "/no/such/path", timeout=TIMEOUT)
    newest = _journal(base_url, limit="3")
    assert [e["path"] for e in newest] == ["/no/such/path", api.url("second"), api.url("first")]
    assert newest[0]["status"] == 404 and newest[0]["api"] == "-"
    assert all(e["api"] == "datagrid" for e in _journal(base_url, api="datagrid"))
    assert all(400 <= int(str(e["status"])) < 500 for e in _journal(base_url, status="4xx"))
    # The admin API's own requests are not journaled.
    assert not any(str(e["path"]).startswith("/__mock/") for e in _journal(base_url))


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "limit=" + "9" * 5000, "status=abc", "status=9xx"])
def test_bad_journal_queries_get_a_400(base_url: str, query: str) -> None:
    response = httpx.get(f"{base_url}/__mock/requests?{query}", timeout=TIMEOUT)
    assert response.status_code == 400
    assert len(response.content) < 500


def test_the_journal_is_a_bounded_ring() -> None:
    journal = Journal(3)
    for index in range(10):
        journal.record("GET", f"/{index}", "-", None, 200, 0.1)
    assert [e.path for e in journal.find()] == ["/9", "/8", "/7"]
    assert journal.total == 10


def test_with_an_admin_token_the_admin_api_needs_it(make_app: AppFactory) -> None:
    client = TestClient(make_app(admin_token="sesame"))
    assert client.get("/__mock/requests").status_code == 401
    assert client.get("/__mock/requests", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/__mock/requests", headers={"Authorization": "Bearer sesame"}).status_code == 200
    assert client.get("/__mock/health").status_code == 200  # probes need no secret; it tells nothing


def test_unknown_admin_path_is_404(make_app: AppFactory) -> None:
    assert TestClient(make_app()).get("/__mock/nothing").status_code == 404


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_loopback_needs_no_admin_token(host: str) -> None:
    assert admin_refusal(host, None) is None


def test_the_server_refuses_to_listen_beyond_loopback_without_an_admin_token() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "--admin-token" in result.stderr and "0.0.0.0" in result.stderr
    assert "Traceback" not in result.stderr


def test_beyond_loopback_with_an_admin_token_the_admin_api_is_protected() -> None:
    with mock_process("specs/omi.yaml", "--quiet", "--admin-token", "sesame", host="0.0.0.0") as mock:
        url = mock.base_url + "/__mock/requests"
        assert httpx.get(url, timeout=TIMEOUT).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Bearer sesame"}, timeout=TIMEOUT).status_code == 200

"""State that lasts and is shared, shown with real server processes over real sockets:
SQLite survives SIGKILL, Redis (and SQLite) serve several workers and processes as one state,
and a state that cannot be had is a one-line start-up error."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.mockserver.notes_api import write_notes_spec
from tests.mockserver.seed_apis import BEARER, ROOT, SPECS
from tests.redis_server import redis_server
from tests.servers import NEEDS_GRANIAN, stop_process

READY_TIMEOUT = 30.0
DATAGRID = str(SPECS / "datagrid.yaml")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log

    def workers(self) -> list[int]:
        """The pids of the worker processes (`--workers N`): the children (spawned by uvicorn,
        forked by granian), multiprocessing's resource tracker aside."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    stat = (entry / "stat").read_text()
                    cmdline = (entry / "cmdline").read_bytes()
                    if (
                        int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid
                        and b"resource_tracker" not in cmdline
                    ):
                        found.append(int(entry.name))
        return found


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


@contextlib.contextmanager
def serve(tmp_path: Path, *args: str) -> Iterator[Server]:
    port = _free_port()
    log = tmp_path / f"server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "serve", "--quiet", "--port", str(port), *args],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers are its process group: stopped together
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the server exited with {process.returncode}: {log.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url + "/", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not answer within {READY_TIMEOUT} s: {log.read_text()}")
            time.sleep(0.05)
        yield Server(process, url, log)
    finally:
        stop_process(process, group=True)


def _patch(url: str, conversation: str, body: dict[str, object]) -> httpx.Response:
    return httpx.patch(f"{url}/v1/conversations/{conversation}", json=body, headers=BEARER, timeout=10.0)


def test_sqlite_keeps_every_acknowledged_update_across_sigkill(tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path / 'state.db'}"
    sent: dict[str, list[str]] = {}
    with serve(tmp_path, DATAGRID, "--state", state) as server:
        for n in range(30):
            conversation = f"conv-{n % 5}"
            agent = f"agent-{n}"
            answer = _patch(server.url, conversation, {"agent_ids": [agent], "name": f"name {n}"})
            assert answer.status_code == 200, answer.text
            sent.setdefault(conversation, []).append(agent)
        server.process.send_signal(signal.SIGKILL)  # no shutdown, no flush: only what was committed
        server.process.wait(timeout=10)
    with serve(tmp_path, DATAGRID, "--state", state) as server:
        for conversation, agents in sent.items():
            stored = httpx.get(f"{server.url}/__mock/state/datagrid/conversations/{conversation}").json()
            assert set(agents) <= set(stored["participated_agent_ids"])
            assert stored["agent_ids"] == [agents[-1]]
            answered = _patch(server.url, conversation, {}).json()  # and the API answers from it
            assert answered["agent_ids"] == [agents[-1]]
            assert set(agents) <= set(answered["participated_agent_ids"])


async def _burst(url: str, count: int) -> list[int]:
    # No keep-alive: every request is a new connection, which the kernel hands to either worker.
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=30.0, headers=BEARER) as client:

        async def one(n: int) -> int:
            answer = await client.patch(f"{url}/datagrid/v1/conversations/shared", json={"agent_ids": [f"agent-{n}"]})
            return answer.status_code

        return await asyncio.gather(*(one(n) for n in range(count)))


@pytest.mark.parametrize(
    ("engine", "http_server"),
    [("redis", "uvicorn"), ("sqlite", "uvicorn"), pytest.param("sqlite", "granian", marks=NEEDS_GRANIAN)],
)
def test_concurrent_updates_across_two_workers_lose_nothing(
    tmp_path: Path, engine: str, http_server: str, request: pytest.FixtureRequest
) -> None:
    """200 concurrent PATCHes of one Datagrid conversation, each assigning another agent,
    across `--workers 2` on one state: `participated_agent_ids` ends holding all 200."""
    state = request.getfixturevalue("redis_url") if engine == "redis" else f"sqlite:///{tmp_path / 's.db'}"
    options = ("--state", state, "--workers", "2", "--server", http_server)
    with serve(tmp_path, DATAGRID, str(write_notes_spec(tmp_path)), *options) as server:
        workers = server.workers()
        assert len(workers) == 2, workers
        before = {pid: cpu_ticks(pid) for pid in workers}
        statuses = asyncio.run(_burst(server.url, 200))
        assert statuses == [200] * 200
        stored = httpx.get(f"{server.url}/__mock/state/datagrid/conversations/shared").json()
        assert {f"agent-{n}" for n in range(200)} <= set(stored["participated_agent_ids"])
        assert all(cpu_ticks(pid) > before[pid] for pid in workers), "one worker served nothing"


def test_a_resource_created_through_one_process_is_read_through_another(tmp_path: Path, redis_url: str) -> None:
    spec = str(write_notes_spec(tmp_path))
    with serve(tmp_path, spec, "--state", redis_url) as first, serve(tmp_path, spec, "--state", redis_url) as second:
        created = httpx.post(f"{first.url}/notes", json={"title": "shared", "tags": ["a"]}, headers=BEARER)
        assert created.status_code == 201, created.text
        note_id = created.json()["id"]
        assert httpx.get(f"{second.url}/notes/{note_id}", headers=BEARER).json()["title"] == "shared"
        assert note_id in [n["id"] for n in httpx.get(f"{second.url}/notes", headers=BEARER).json()]
        httpx.patch(f"{second.url}/notes/{note_id}", json={"title": "renamed"}, headers=BEARER)
        assert httpx.get(f"{first.url}/notes/{note_id}", headers=BEARER).json()["title"] == "renamed"
        assert httpx.delete(f"{first.url}/notes/{note_id}", headers=BEARER).status_code == 204
        assert httpx.get(f"{second.url}/notes/{note_id}", headers=BEARER).status_code == 404
        # Both processes list the same seed items: generated once, by whichever came first.
        first_ids = [n["id"] for n in httpx.get(f"{first.url}/notes", headers=BEARER).json()]
        second_ids = [n["id"] for n in httpx.get(f"{second.url}/notes", headers=BEARER).json()]
        assert first_ids == second_ids and len(first_ids) == 3


def test_creates_across_two_workers_get_distinct_ids_and_are_read_by_both(tmp_path: Path, redis_url: str) -> None:
    spec = str(write_notes_spec(tmp_path))
    with serve(tmp_path, spec, "--state", redis_url, "--workers", "2") as server:

        async def create_and_read() -> tuple[list[str], list[int]]:
            limits = httpx.Limits(max_keepalive_connections=0)
            async with httpx.AsyncClient(limits=limits, headers=BEARER, timeout=30.0) as client:
                made = await asyncio.gather(
                    *(client.post(f"{server.url}/notes", json={"title": f"n{n}"}) for n in range(40))
                )
                ids = [m.json()["id"] for m in made]
                reads = await asyncio.gather(*(client.get(f"{server.url}/notes/{i}") for i in ids for _ in range(2)))
                return ids, [r.status_code for r in reads]

        ids, reads = asyncio.run(create_and_read())
        assert len(set(ids)) == 40
        assert reads == [200] * 80


def test_integer_ids_created_across_two_workers_are_one_sequence(tmp_path: Path, redis_url: str) -> None:
    """Each worker draws the Petstore's next pet id from the one shared sequence: 40 creates at
    once give the ids 1 to 40, each once."""
    spec = str(ROOT / "tests" / "corpus" / "petstore-expanded.yaml")
    with serve(tmp_path, spec, "--state", redis_url, "--workers", "2", "--seed-items", "0") as server:

        async def create() -> list[int]:
            limits = httpx.Limits(max_keepalive_connections=0)
            async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
                made = await asyncio.gather(
                    *(client.post(f"{server.url}/pets", json={"name": f"pet {n}"}) for n in range(40))
                )
                assert [m.status_code for m in made] == [200] * 40, made[0].text
                return [m.json()["id"] for m in made]

        assert sorted(asyncio.run(create())) == list(range(1, 41))


def _start_error(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", DATAGRID, "--port", str(_free_port()), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--workers", "2"], "--workers 2 needs --state"),
        (["--state", "sqlite:////nonexistent-dir/state.db"], "cannot open /nonexistent-dir/state.db"),
        (["--state", "redis://127.0.0.1:9/0"], "redis at redis://127.0.0.1:9/0"),
        (["--state", "mysql://x"], "--state 'mysql://x'"),
    ],
)
def test_a_state_that_cannot_be_had_is_a_one_line_start_up_error(args: list[str], fragment: str) -> None:
    result = _start_error(*args)
    assert result.returncode == 1
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if "error" in line]) == 1


def test_a_redis_lost_while_serving_is_a_503_not_a_500(tmp_path: Path) -> None:
    spec = str(write_notes_spec(tmp_path))
    with redis_server(tmp_path) as redis, serve(tmp_path, spec, "--state", redis.url) as server:
        assert httpx.post(f"{server.url}/notes", json={"title": "kept"}, headers=BEARER).status_code == 201
        redis.process.kill()
        redis.process.wait(timeout=10)
        answer = httpx.get(f"{server.url}/notes", headers=BEARER, timeout=40.0)
        assert answer.status_code == 503
        assert "state store is unavailable" in answer.json()["detail"]
        assert httpx.get(f"{server.url}/__mock/state/notes", timeout=40.0).status_code == 503


def test_with_redis_state_the_rate_limit_window_is_one_for_every_process(tmp_path: Path, redis_url: str) -> None:
    """Two server processes on one Redis: 10 requests a minute in all, not 10 each."""
    spec = str(write_notes_spec(tmp_path))
    args = (spec, "--state", redis_url, "--rate-limit", "10/min")
    with serve(tmp_path, *args) as first, serve(tmp_path, *args) as second:
        statuses = [httpx.get(f"{server.url}/notes", headers=BEARER).status_code for server in (first, second) * 8]
    assert statuses.count(200) == 10 and statuses.count(429) == 6, statuses
    assert statuses[:10] == [200] * 10


def test_with_memory_state_each_process_has_its_own_rate_limit_window(tmp_path: Path) -> None:
    """The contrast that shows the window above is shared: memory state keeps one per process."""
    spec = str(write_notes_spec(tmp_path))
    with (
        serve(tmp_path, spec, "--rate-limit", "10/min") as first,
        serve(tmp_path, spec, "--rate-limit", "10/min") as second,
    ):
        statuses = [httpx.get(f"{server.url}/notes", headers=BEARER).status_code for server in (first, second) * 8]
    assert statuses.count(200) == 16, statuses

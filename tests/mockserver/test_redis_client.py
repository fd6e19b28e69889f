"""The pipelined Redis connection against a real redis-server: replies reach the commands
that asked for them, whatever else is in flight; errors fail one command or, for a lost
connection, the commands waiting on it, and the next command connects again."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from mockserver.redis_client import RedisConnection, RedisError
from tests.redis_server import redis_server

T = TypeVar("T")


def run(url: str, body: Callable[[RedisConnection], Awaitable[T]], **options: float) -> T:
    async def main() -> T:
        connection = RedisConnection(url, **options)
        try:
            return await body(connection)
        finally:
            await connection.close()

    return asyncio.run(main())


def test_concurrent_commands_each_get_their_own_reply(redis_url: str) -> None:
    async def body(redis: RedisConnection) -> tuple[list[bytes], list[int]]:
        echoes = await asyncio.gather(*(redis.execute("ECHO", f"m{n}") for n in range(300)))
        counts = await asyncio.gather(*(redis.execute("INCR", "counter") for _ in range(300)))
        return list(echoes), list(counts)

    echoes, counts = run(redis_url, body)
    assert echoes == [f"m{n}".encode() for n in range(300)]
    assert counts == list(range(1, 301))  # in the order asked: one connection, pipelined


def test_an_error_reply_fails_that_command_only(redis_url: str) -> None:
    async def body(redis: RedisConnection) -> list[object]:
        await redis.execute("SET", "text", "x")
        return list(
            await asyncio.gather(
                redis.execute("ECHO", "before"),
                redis.execute("INCR", "text"),  # not an integer
                redis.execute("ECHO", "after"),
                return_exceptions=True,
            )
        )

    before, failed, after = run(redis_url, body)
    assert before == b"before" and after == b"after"
    assert isinstance(failed, RedisError) and "not an integer" in str(failed)


def test_a_cancelled_command_leaves_its_reply_to_no_one_else(redis_url: str) -> None:
    async def body(redis: RedisConnection) -> bytes:
        await redis.execute("PING")
        gone = asyncio.ensure_future(redis.execute("ECHO", "gone"))
        await asyncio.sleep(0)  # written, its reply not yet read
        gone.cancel()
        return await redis.execute("ECHO", "kept")  # type: ignore[no-any-return]

    assert run(redis_url, body) == b"kept"


def test_a_transaction_answers_every_command(redis_url: str) -> None:
    async def body(redis: RedisConnection) -> list[object]:
        await redis.execute("RPUSH", "list", "a", "b")
        return await redis.transaction(("LRANGE", "list", 0, -1), ("LLEN", "list"))

    assert run(redis_url, body) == [[b"a", b"b"], 2]


def test_a_script_is_sent_whole_where_the_server_lacks_it(redis_url: str) -> None:
    async def body(redis: RedisConnection) -> list[object]:
        script = redis.script("return ARGV[1] .. KEYS[1]")
        first = await script(["k"], ["v"])
        await redis.execute("SCRIPT", "FLUSH")  # as a restarted server has none
        return [first, await script(["k2"], ["v2"]), await redis.execute("SCRIPT", "EXISTS", script.sha)]

    assert run(redis_url, body) == [b"vk", b"v2k2", [1]]


def test_a_lost_connection_fails_the_waiting_commands_and_the_next_one_reconnects(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])

    async def body(redis: RedisConnection) -> tuple[object, bytes]:
        with redis_server(tmp_path, port=port):
            await redis.execute("PING")
            blocked = asyncio.ensure_future(redis.execute("BLPOP", "nothing", 0))  # waits for ever
            await asyncio.sleep(0.05)
        # the server stopped: the waiting command has failed
        lost = await asyncio.wait_for(asyncio.gather(blocked, return_exceptions=True), 5)
        with redis_server(tmp_path, port=port):
            return lost[0], await redis.execute("ECHO", "again")

    lost, again = run(f"redis://127.0.0.1:{port}/0", body)
    assert isinstance(lost, RedisError) and "connection lost" in str(lost)
    assert again == b"again"


def test_no_reply_within_the_timeout_is_an_error() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"

        async def body(redis: RedisConnection) -> None:
            await redis.execute("PING")

        with pytest.raises(RedisError, match=r"no reply within 0\.2 s"):
            run(url, body, reply_timeout=0.2)


def test_an_unreachable_server_is_an_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: refused
        url = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"

        async def body(redis: RedisConnection) -> None:
            await redis.execute("PING")

        with pytest.raises(RedisError, match="cannot connect"):
            run(url, body)


def test_the_password_and_database_of_the_url_are_used(tmp_path: Path) -> None:
    with redis_server(tmp_path, "--requirepass", "s3cret") as server:
        port = server.url.rsplit(":", 1)[1].split("/")[0]

        async def write(redis: RedisConnection) -> None:
            await redis.execute("SET", "where", "db2")

        async def read(redis: RedisConnection) -> list[object]:
            return [
                await redis.execute("GET", "where"),
                await redis.execute("SELECT", 2),
                await redis.execute("GET", "where"),
            ]

        run(f"redis://:s3cret@127.0.0.1:{port}/2", write)
        assert run(f"redis://:s3cret@127.0.0.1:{port}/0", read) == [None, b"OK", b"db2"]
        with pytest.raises(RedisError, match=r"WRONGPASS|invalid password"):
            run(f"redis://:wrong@127.0.0.1:{port}/0", write)

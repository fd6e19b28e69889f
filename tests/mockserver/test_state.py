"""The `Store` contract, on every engine: memory, SQLite (a file) and Redis (a real server)."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from mockserver import state
from mockserver.app import ServerConfig, create_app
from mockserver.errors import StateError, UsageError
from mockserver.state import MemoryStore, Store, Window, decode, encode, open_store
from mockserver.state_redis import RedisStore
from mockserver.state_sqlite import SqliteStore
from mockserver.types import JSON
from tests.mockserver.conftest import SpecWriter

ENGINES = ["memory", "sqlite", "redis"]
Opener = Callable[[], Store]


@pytest.fixture(params=ENGINES)
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """Opens a store of one engine; every store it opens shares one state (as processes would)."""
    if request.param == "memory":
        store = MemoryStore()
        return lambda: store
    if request.param == "sqlite":
        return lambda: SqliteStore(str(tmp_path / "state.db"))
    url = request.getfixturevalue("redis_url")
    return lambda: RedisStore(url)


def run(opener: Opener, body: Callable[[Store], Awaitable[None]]) -> None:
    async def main() -> None:
        store = opener()
        try:
            await body(store)
        finally:
            await store.close()

    asyncio.run(main())


def test_put_get_delete_and_items_in_creation_order(opener: Opener) -> None:
    async def body(store: Store) -> None:
        assert await store.get("c", "a") is None
        for name in ("b", "a", "c"):
            await store.put("c", name, {"name": name})
        await store.put("c", "b", {"name": "b2"})  # an update keeps the item's place
        assert await store.get("c", "b") == {"name": "b2"}
        assert [i for i, _ in await store.items("c")] == ["b", "a", "c"]
        assert await store.delete("c", "a") is True
        assert await store.delete("c", "a") is False
        assert list(await store.items("c")) == [("b", {"name": "b2"}), ("c", {"name": "c"})]
        assert list(await store.items("other")) == []

    run(opener, body)


def test_items_read_as_a_list_would(opener: Opener) -> None:
    """Slices, indices, iteration and ids of `items` agree with a plain list on every engine."""

    async def body(store: Store) -> None:
        for n in range(7):
            await store.put("s", f"i{n}", {"n": n})
        items = await store.items("s")
        plain: list[tuple[str, JSON]] = [(f"i{n}", {"n": n}) for n in range(7)]
        assert len(items) == 7 and list(items) == plain and items.ids() == [i for i, _ in plain]
        for cut in (slice(2, 5), slice(5, 100), slice(100, 200), slice(-3, None), slice(None, 2), slice(0, 7, 2)):
            assert items[cut] == plain[cut], cut
        assert items[0] == plain[0] and items[-1] == plain[-1]
        with pytest.raises(IndexError):
            items[7]
        await store.put("s", "big", {"n": 10**40})  # a value orjson refuses, in a page with others
        assert (await store.items("s"))[5:] == [*plain[5:], ("big", {"n": 10**40})]

    run(opener, body)


def test_a_run_of_items_reads_as_the_whole_would_within_it(opener: Opener) -> None:
    async def body(store: Store) -> None:
        for n in range(7):
            await store.put("w", f"i{n}", {"n": n})
        plain: list[tuple[str, JSON]] = [(f"i{n}", {"n": n}) for n in range(7)]
        for start, stop in ((0, 3), (2, 5), (5, 9), (7, 10), (3, 3)):
            window = await store.items("w", (start, stop))
            assert len(window) == 7 and window[start:stop] == plain[start:stop], (start, stop)
        assert len(await store.items("none", (0, 5))) == 0

    run(opener, body)


def test_a_run_as_one_json_array_is_what_encoding_its_values_makes(opener: Opener) -> None:
    """`Items.array`: the run's stored bytes joined, equal to encoding the decoded run, on
    every engine, whole or windowed; None where a value is in the standard library's encoding."""

    async def body(store: Store) -> None:
        values: list[JSON] = [{"n": n, "name": f"é{n}", "f": n / 3, "tags": [None, True]} for n in range(7)]
        for n, value in enumerate(values):
            await store.put("a", f"i{n}", value)
        for start, stop in ((0, 3), (2, 5), (5, 9), (7, 10), (3, 3)):
            for items in (await store.items("a"), await store.items("a", (start, stop))):
                array = items.array(start, stop)
                assert array is not None and orjson.loads(array) == values[start:stop], (start, stop)
                assert array == orjson.dumps(values[start:stop]), (start, stop)
        assert (await store.items("none", (0, 5))).array(0, 5) == b"[]"
        await store.put("a", "big", {"n": 10**40})  # orjson refuses it: stored the other way
        assert (await store.items("a")).array(6, 8) is None
        assert (await store.items("a")).array(0, 7) == orjson.dumps(values)  # a run without it

    run(opener, body)


def test_a_redis_run_of_items_is_fetched_alone_and_not_read_past(redis_url: str) -> None:
    async def main() -> None:
        store = RedisStore(redis_url)
        try:
            for n in range(2500):  # past one HMGET chunk of the script
                await store.put("big", f"i{n}", {"n": n})
            await store.delete("big", "i1")
            window = await store.items("big", (1, 2499))
            assert len(window) == 2499 and window[1:3] == [("i2", {"n": 2}), ("i3", {"n": 3})]
            assert window[2497:2499] == [("i2498", {"n": 2498}), ("i2499", {"n": 2499})]
            assert isinstance(window, Window)
            assert window._pairs[-1][0] == "i2499" and len(window._pairs) == 2498  # the run, not all 2499
            with pytest.raises(LookupError, match="outside the run"):
                window[0:2]
            with pytest.raises(LookupError):
                window.ids()
        finally:
            await store.close()

    asyncio.run(main())


def test_a_sqlite_page_reads_only_its_rows(tmp_path: Path) -> None:
    statements: list[str] = []

    async def main() -> list[tuple[str, JSON]]:
        store = SqliteStore(str(tmp_path / "paged.db"))
        try:
            await store.get("p", "x")  # opened
            db = store._open()
            db.executemany(
                "INSERT INTO items (collection, item, value) VALUES ('p', ?, ?)",
                [(f"i{n}", encode({"n": n})) for n in range(1000)],
            )
            db.set_trace_callback(statements.append)
            return (await store.items("p"))[500:503]
        finally:
            await store.close()

    assert asyncio.run(main()) == [(f"i{n}", {"n": n}) for n in (500, 501, 502)]
    values_read = [sql for sql in statements if "SELECT item, value" in sql]
    assert values_read and all("LIMIT 3 OFFSET 500" in sql for sql in values_read)


def test_values_are_copies(opener: Opener) -> None:
    async def body(store: Store) -> None:
        value: JSON = {"list": [1, 2]}
        await store.put("c", "x", value)
        value["list"].append(3)
        got = await store.get("c", "x")
        assert got == {"list": [1, 2]}
        got["list"].append(4)
        assert await store.get("c", "x") == {"list": [1, 2]}
        assert (await store.items("c"))[0][1] == {"list": [1, 2]}

    run(opener, body)


def test_an_updated_value_changed_by_its_holder_changes_nothing_stored(opener: Opener) -> None:
    async def body(store: Store) -> None:
        await store.put("c", "x", {"list": [1]})
        got = await store.update("c", "x", lambda current: {**current, "n": 1})
        got["list"].append("changed by its holder")
        given: list[bytes] = []

        def change(current: JSON) -> JSON:
            given.append(orjson.dumps(current))
            current["n"] = 2
            return current

        assert await store.update("c", "x", change) == {"list": [1], "n": 2}
        assert given == [b'{"list":[1],"n":1}']
        assert await store.get("c", "x") == {"list": [1], "n": 2}

    run(opener, body)


def test_a_failing_update_leaves_the_stored_value_for_the_next_one(opener: Opener) -> None:
    async def body(store: Store) -> None:
        await store.put("c", "x", {"n": 0})
        await store.update("c", "x", lambda current: {**current, "n": 1})

        def failing(current: JSON) -> JSON:
            current["n"], current["half"] = 99, True  # changed in place, then refused
            raise ValueError("refused")

        with pytest.raises(ValueError, match="refused"):
            await store.update("c", "x", failing)
        given: list[JSON] = []
        await store.update("c", "x", lambda current: given.append(dict(current)) or current)
        assert given == [{"n": 1}]
        assert await store.get("c", "x") == {"n": 1}

    run(opener, body)


def test_a_memory_update_starts_from_the_value_the_last_one_made() -> None:
    """Not a decoding of it (the point: no decoding per update), and only `LIVE_ITEMS` of a
    collection's values are kept so."""
    store = MemoryStore()

    async def main() -> None:
        await store.put("c", "x", {"n": 0})
        made = await store.update("c", "x", lambda current: {**current, "n": 1})
        given: list[JSON] = []
        await store.update("c", "x", lambda current: given.append(current) or current)
        assert given[0] is made
        for n in range(2 * state.LIVE_ITEMS):
            await store.update("c", f"i{n}", lambda current, n=n: {"n": n})
        assert 0 < len(store._buckets["c"].live) <= state.LIVE_ITEMS
        assert [value for _, value in await store.items("c")][-1] == {"n": 2 * state.LIVE_ITEMS - 1}
        await store.delete("c", f"i{2 * state.LIVE_ITEMS - 1}")
        assert f"i{2 * state.LIVE_ITEMS - 1}" not in store._buckets["c"].live

    asyncio.run(main())


def test_json_orjson_refuses_survives_exactly(opener: Opener) -> None:
    async def body(store: Store) -> None:
        value = {"big": 10**30, "lone": "\ud800", "nested": [True, None, 1.5]}
        await store.put("c", "x", value)
        assert await store.get("c", "x") == value

    run(opener, body)


def test_add_writes_only_where_nothing_is_and_takes_its_companions_along(opener: Opener) -> None:
    async def body(store: Store) -> None:
        assert await store.add("marker", "", True, ("c", "1", {"n": 1}), ("c", "2", {"n": 2})) is True
        assert await store.add("marker", "", True, ("c", "3", {"n": 3})) is False
        assert [i for i, _ in await store.items("c")] == ["1", "2"]
        assert await store.add("c", "1", {"n": "other"}) is False
        assert await store.get("c", "1") == {"n": 1}

    run(opener, body)


def test_collections_and_clear_by_prefix(opener: Opener) -> None:
    async def body(store: Store) -> None:
        await store.put('["a","/x"]', "1", 1)
        await store.put('["a","/x"]', "2", 2)
        await store.put('["a","/y"]~seeded', "", True)
        await store.put('["b","/x"]', "1", 1)
        assert await store.collections('["a",') == {'["a","/x"]': 2, '["a","/y"]~seeded': 1}
        await store.clear('["a",')
        assert await store.collections("") == {'["b","/x"]': 1}
        await store.clear("")
        assert await store.collections("") == {}

    run(opener, body)


def test_concurrent_updates_of_one_item_lose_nothing(opener: Opener) -> None:
    """100 read-modify-writes from two store clients (two processes' worth) at once."""

    def append(value: int) -> Callable[[JSON | None], JSON]:
        return lambda current: {"seen": [*(current or {}).get("seen", []), value]}

    async def main() -> None:
        first, second = opener(), opener()
        try:
            await asyncio.gather(*(((first, second)[n % 2]).update("c", "x", append(n)) for n in range(100)))
            final = await first.get("c", "x")
        finally:
            await first.close()
            if second is not first:
                await second.close()
        assert sorted(final["seen"]) == list(range(100))

    asyncio.run(main())


def test_concurrent_adds_of_one_id_have_one_winner(opener: Opener) -> None:
    async def main() -> None:
        first, second = opener(), opener()
        try:
            won = await asyncio.gather(*(((first, second)[n % 2]).add("c", "x", n) for n in range(20)))
            assert won.count(True) == 1
            assert await first.get("c", "x") == won.index(True)
        finally:
            await first.close()
            if second is not first:
                await second.close()

    asyncio.run(main())


def test_a_redis_update_applies_to_what_another_client_wrote_meanwhile(redis_url: str) -> None:
    """A client's guess of an item (what it last wrote) gone stale: by another client's
    update, put and delete. The change is applied to what the item holds, every time."""

    def increment(current: JSON | None) -> JSON:
        return {"n": (current or {"n": 100})["n"] + 1} if isinstance(current, dict) or current is None else current

    async def main() -> list[JSON]:
        first, second = RedisStore(redis_url), RedisStore(redis_url)
        try:
            seen = [await first.update("c", "x", increment)]  # nothing stored: 101
            seen.append(await second.update("c", "x", increment))  # 102
            seen.append(await first.update("c", "x", increment))  # its guess says 101: 103
            await second.put("c", "x", {"n": 0})
            seen.append(await first.update("c", "x", increment))  # 1
            await second.delete("c", "x")
            seen.append(await first.update("c", "x", increment))  # nothing stored again: 101
            seen.append(await second.get("c", "x"))
            return seen
        finally:
            await first.close()
            await second.close()

    assert asyncio.run(main()) == [{"n": 101}, {"n": 102}, {"n": 103}, {"n": 1}, {"n": 101}, {"n": 101}]


def _record_commands(store: RedisStore, sent: list[str]) -> None:
    """Append the name of every command `store` sends to `sent`."""
    execute = store._redis.execute

    async def counted(*args: Any) -> Any:
        sent.append(str(args[0]))
        return await execute(*args)

    store._redis.execute = counted  # type: ignore[method-assign]


@pytest.mark.parametrize("when", ["before it starts", "during its write"])
def test_a_redis_write_cut_short_leaves_no_update_waiting(redis_url: str, when: str) -> None:
    """The task writing an item's queued updates cancelled (as at shutdown): each update is
    answered with a state error instead of waiting for ever, and the item's queue is gone."""

    async def main() -> list[object]:
        store = RedisStore(redis_url)
        writing = asyncio.Event()

        async def stuck_swap(*args: Any, **options: Any) -> Any:
            writing.set()
            await asyncio.Event().wait()  # Redis never answers

        store._swap = stuck_swap  # type: ignore[assignment]
        try:
            updates = [asyncio.ensure_future(store.update("c", "cut", lambda v, n=n: n)) for n in range(3)]
            if when == "during its write":
                await asyncio.wait_for(writing.wait(), 5)
            else:
                await asyncio.sleep(0)  # the updates are queued, the writing task made, not run
            (task,) = store._draining
            task.cancel()
            answers = await asyncio.wait_for(asyncio.gather(*updates, return_exceptions=True), 5)
            assert store._queues == {} and not store._draining
            return list(answers)
        finally:
            await store.close()

    answers = asyncio.run(main())
    assert len(answers) == 3 and all(isinstance(a, StateError) for a in answers), answers


def test_a_redis_update_of_an_item_this_client_wrote_last_is_one_command(redis_url: str) -> None:
    sent: list[str] = []

    async def main() -> JSON:
        store = RedisStore(redis_url)
        _record_commands(store, sent)
        try:
            await store.put("c", "y", {"n": 0})
            await store.update("c", "y", lambda v: {"n": 1})  # reads the item first: put leaves no guess
            sent.clear()
            for n in range(2, 12):
                await store.update("c", "y", lambda v, n=n: {"n": n})
            return await store.get("c", "y")
        finally:
            await store.close()

    assert asyncio.run(main()) == {"n": 11}
    assert sent == ["EVALSHA"] * 10 + ["HGET"]  # ten updates, one command each; then the get


def test_concurrent_redis_updates_of_one_item_are_written_together(redis_url: str) -> None:
    """50 updates of one item from one client at once: each answer holds its own change and
    those before it, nothing is lost, and they take fewer writes than updates."""
    sent: list[str] = []

    def append(value: int) -> Callable[[JSON | None], JSON]:
        return lambda current: {"seen": [*(current or {}).get("seen", []), value]}

    async def main() -> tuple[list[JSON], JSON]:
        store = RedisStore(redis_url)
        _record_commands(store, sent)
        try:
            answers = await asyncio.gather(*(store.update("c", "z", append(n)) for n in range(50)))
            return list(answers), await store.get("c", "z")
        finally:
            await store.close()

    answers, final = asyncio.run(main())
    assert isinstance(final, dict)
    assert sorted(final["seen"]) == list(range(50))
    for n, answer in enumerate(answers):
        assert isinstance(answer, dict) and answer["seen"][-1] == n
        assert answer["seen"] == final["seen"][: len(answer["seen"])]  # a state the item went through
    assert 1 <= sent.count("EVALSHA") < 50


def test_a_failing_redis_update_written_with_others_leaves_them_whole(redis_url: str) -> None:
    class Refused(Exception):
        pass

    def add(name: str) -> Callable[[JSON | None], JSON]:
        return lambda current: {**(current if isinstance(current, dict) else {}), name: True}

    def refuse(current: JSON | None) -> JSON:
        assert isinstance(current, dict)
        current["refused"] = True  # changed in place, then refused
        raise Refused

    async def main() -> tuple[list[object], JSON]:
        store = RedisStore(redis_url)
        try:
            await store.put("c", "w", {})
            changes = [add("a"), refuse, add("b")]
            answers = await asyncio.gather(*(store.update("c", "w", c) for c in changes), return_exceptions=True)
            return list(answers), await store.get("c", "w")
        finally:
            await store.close()

    answers, final = asyncio.run(main())
    assert isinstance(answers[1], Refused)
    assert answers[0] == {"a": True} and answers[2] == {"a": True, "b": True}
    assert final == {"a": True, "b": True}


def test_sqlite_keeps_its_state_across_connections(tmp_path: Path) -> None:
    path = str(tmp_path / "kept.db")

    async def write() -> None:
        store = SqliteStore(path)
        await store.put("c", "x", {"kept": True})
        await store.close()

    async def read() -> JSON:
        store = SqliteStore(path)
        try:
            return await store.get("c", "x")
        finally:
            await store.close()

    asyncio.run(write())
    assert asyncio.run(read()) == {"kept": True}


def _hold_write_lock(path: str) -> sqlite3.Connection:
    """Another process's writer, in the middle of a transaction: the file's write lock held."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_a_sqlite_update_waits_for_another_writer_without_stalling_the_loop(tmp_path: Path) -> None:
    path = str(tmp_path / "locked.db")

    async def main() -> tuple[JSON, int, bool]:
        store = SqliteStore(path)
        await store.put("c", "x", {"n": 0})
        other = _hold_write_lock(path)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        async def release() -> None:
            await asyncio.sleep(0.2)
            other.execute("COMMIT")
            other.close()

        beat = asyncio.create_task(ticker())
        freed = asyncio.create_task(release())
        value = await store.update("c", "x", lambda v: {"n": v["n"] + 1} if isinstance(v, dict) else v)
        done = freed.done()
        beat.cancel()
        await store.close()
        return value, ticks, done

    value, ticks, released_first = asyncio.run(main())
    assert value == {"n": 1}
    assert released_first  # it waited for the other writer
    assert ticks > 20  # and the loop went on meanwhile (a blocking wait would leave about 1)


def test_a_sqlite_lock_held_past_the_timeout_is_a_state_error(tmp_path: Path) -> None:
    path = str(tmp_path / "stuck.db")

    async def main() -> None:
        store = SqliteStore(path, lock_timeout=0.1)
        await store.put("c", "x", 1)
        other = _hold_write_lock(path)
        try:
            await store.put("c", "x", 2)
        finally:
            other.close()
            await store.close()

    with pytest.raises(StateError, match="locked"):
        asyncio.run(main())


@pytest.mark.parametrize("url", ["sqlite:////nonexistent-dir/x.db", "sqlite:////proc/x.db"])
def test_an_unopenable_sqlite_file_is_a_state_error(url: str) -> None:
    async def main() -> None:
        store = open_store(url)
        await store.get("c", "x")

    with pytest.raises(StateError, match="cannot open"):
        asyncio.run(main())


def test_an_unreachable_redis_is_a_state_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused

        async def main() -> None:
            store = open_store(f"redis://127.0.0.1:{port}/0")
            try:
                await store.get("c", "x")
            finally:
                await store.close()

        with pytest.raises(StateError, match="redis at"):
            asyncio.run(main())


def test_an_unknown_engine_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--state"):
        open_store("postgres://x")


def test_encoding_round_trips() -> None:
    for value in [{"a": 1}, [10**40], "\udfff", None, 1.25]:
        assert decode(encode(value)) == value


def test_a_memory_listing_reads_the_collection_as_it_is_when_read() -> None:
    """A listing copies nothing: a run is read from the live collection, from either end."""

    async def main() -> None:
        store = MemoryStore()
        for n in range(7):
            await store.put("c", f"i{n}", n)
        listed = await store.items("c")
        assert listed.ids() == [f"i{n}" for n in range(7)] and len(listed) == 7
        assert listed[0:2] == [("i0", 0), ("i1", 1)]  # from the front
        assert listed[4:6] == [("i4", 4), ("i5", 5)] and listed[-1] == ("i6", 6)  # from the back
        assert listed[0:7:3] == [("i0", 0), ("i3", 3), ("i6", 6)] and listed[5:99] == [("i5", 5), ("i6", 6)]
        await store.delete("c", "i2")
        await store.put("c", "i3", 30)  # updated since: read as it is now, in its place
        assert len(listed) == 6 and listed[1:4] == [("i1", 1), ("i3", 30), ("i4", 4)]
        assert list(listed) == [("i0", 0), ("i1", 1), ("i3", 30), ("i4", 4), ("i5", 5), ("i6", 6)]
        assert list(await store.items("nothing")) == [] and len(await store.items("nothing")) == 0

    asyncio.run(main())


def test_a_list_on_redis_reads_its_page_only_and_answers_as_memory_does(redis_url: str) -> None:
    """GET /pets?limit=3 of 40 stored pets: the same answer as the memory engine gives, and
    no read of the whole collection on Redis where the page's run is known."""
    petstore = str(Path(__file__).parents[1] / "corpus" / "petstore-expanded.yaml")
    answers, whole_reads = [], []
    for store in (MemoryStore(), RedisStore(redis_url)):
        reads = store.items

        async def counted(collection: str, run: tuple[int, int] | None = None, reads: Any = reads) -> Any:
            if run is None:
                whole_reads.append(collection)
            return await reads(collection, run)

        if isinstance(store, RedisStore):
            store.items = counted  # type: ignore[method-assign]
        app = create_app([petstore], ServerConfig(store=store, seed_items=40, log_requests=False, epoch=1.69e9))
        with TestClient(app) as client:
            pages = [client.get("/pets", params=query) for query in ({"limit": "3"}, {"limit": "5"})]
            answers.append([(page.status_code, page.json()) for page in pages])
            assert client.get("/pets", params={"tags": "dog"}).status_code == 200
    assert answers[0] == answers[1] and [len(body) for _, body in answers[0]] == [3, 5]
    assert whole_reads == []


def test_a_page_of_stored_items_is_sent_as_stored_and_decoded_only_where_it_must_be(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GET /pets?limit=N answers a bare array of the stored pets: sent as the store holds them
    (nothing decoded), the items as the store reads them; a page holding a value stored in the
    standard library's encoding is decoded and encoded as before."""
    petstore = str(Path(__file__).parents[1] / "corpus" / "petstore-expanded.yaml")
    store = MemoryStore()
    app = create_app([petstore], ServerConfig(store=store, seed_items=6, log_requests=False, epoch=1.69e9))

    def not_decoded(pairs: Any) -> Any:
        raise AssertionError("a page of stored items was decoded")

    with TestClient(app) as client:
        assert client.get("/pets", params={"limit": "1"}).status_code == 200  # (seeds the collection)
        key = next(name for name in store._buckets if name.endswith('"/pets"]'))
        stored = [value for _, value in asyncio.run(store.items(key))]
        assert len(stored) == 6 and all(isinstance(pet["id"], int) for pet in stored)
        with monkeypatch.context() as patched:
            patched.setattr(state, "decoded", not_decoded)
            for limit in (4, 6, 100):
                page = client.get("/pets", params={"limit": str(limit)})
                assert page.status_code == 200 and page.headers["content-type"] == "application/json"
                assert page.json() == stored[:limit]
            with pytest.raises(AssertionError, match="decoded"):
                list(asyncio.run(store.items(key)))  # (the patch stands in the way of any decoding)
        asyncio.run(store.put(key, "77", {"id": 77, "name": "Huge", "tag": str(10**40), "n": 10**40}))
        assert client.get("/pets", params={"limit": "100"}).json()[-1] == {
            "id": 77, "name": "Huge", "tag": str(10**40), "n": 10**40
        }  # fmt: skip


def test_a_value_stored_in_memory_takes_about_its_own_size() -> None:
    """A small value costs the memory store its bytes and its entries, not the encoder's
    buffer: 2,000 pets of some 40 bytes each take well under 1 KB apiece."""

    async def main() -> int:
        store = MemoryStore(max_items=5_000)
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for n in range(2_000):
                await store.put("pets", str(n), {"name": f"Pet {n}", "id": n})
            await store.update("pets", "7", lambda pet: {**pet, "tag": "dog"})
            return (tracemalloc.get_traced_memory()[0] - before) // 2_000
        finally:
            tracemalloc.stop()

    per_item = asyncio.run(main())
    assert 40 < per_item < 1_000, per_item


def test_only_a_bare_array_of_the_stored_items_is_sent_as_stored(write_spec: SpecWriter) -> None:
    """`Binding.stored_array` (decided at start-up): a bare array of the items as stored; not
    an envelope, not an array constrained as a whole, not items projected onto another schema."""
    pet = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
    brief = {"type": "object", "properties": {"id": {"type": "integer"}}}

    def collection(listed: dict[str, Any]) -> dict[str, Any]:
        def answer(schema: dict[str, Any]) -> dict[str, Any]:
            return {"description": "ok", "content": {"application/json": {"schema": schema}}}

        return {
            "get": {"responses": {"200": answer(listed)}},
            "post": {"requestBody": {"content": {"application/json": {"schema": pet}}},
                     "responses": {"201": answer(pet)}},
        }  # fmt: skip

    lists = {
        "/pets": {"type": "array", "items": pet},
        "/wrapped": {"type": "object", "properties": {"data": {"type": "array", "items": pet}}},
        "/unique": {"type": "array", "items": pet, "uniqueItems": True},
        "/briefs": {"type": "array", "items": brief},
    }
    path = write_spec({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
                       "paths": {p: collection(schema) for p, schema in lists.items()}})  # fmt: skip
    app = create_app([path], ServerConfig(log_requests=False))
    stored = {
        op.path: op.binding.stored_array
        for api in app.state.apis
        for op in api.operations
        if op.method == "GET" and op.binding is not None
    }
    assert stored == {"/pets": True, "/wrapped": False, "/unique": False, "/briefs": False}

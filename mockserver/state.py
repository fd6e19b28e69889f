"""Where resources live between requests.

`Store` is the interface: resources are kept per collection (a string key naming the API,
the collection and its scope, see `bindings.collection_key`) and per item id (a string),
listed in the order they were created. Values go in and come out as copies (each engine
keeps them encoded, see `encode`), so a caller may change what it got without touching the
store (what `update` answers is the one exception: read it before anything else is
awaited). Three engines, chosen by `open_store` from `--state`:

    memory                  `MemoryStore`, this process only, bounded (least recently used dropped)
    sqlite:///file.db       `state_sqlite.SqliteStore`, one file, survives a kill and a restart
    redis://host:port/N     `state_redis.RedisStore`, shared by several workers and hosts

No lost updates: `update` is an atomic read-modify-write of one item and `add` an atomic
insert-if-absent, on every engine; `resources` builds creates, seeding and updates on them.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from typing import Protocol, TypeVar, overload

import orjson

from mockserver.errors import UsageError
from mockserver.types import JSON

Entry = tuple[str, str, JSON]
"""(collection, item, value): one write of `Store.add`."""
Change = Callable[[JSON | None], JSON]
"""What `Store.update` does to an item: its stored value (None: none yet) to the new one.
A change may also keep `made` (the value it made last, its encoding): see `encoded`."""


class Store(Protocol):
    async def get(self, collection: str, item: str) -> JSON | None: ...

    async def put(self, collection: str, item: str, value: JSON) -> None: ...

    async def add(self, collection: str, item: str, value: JSON, *also: Entry) -> bool:
        """Store `value` (and the `also` entries with it, in one atomic step) only where the
        item has no value yet; False, and nothing written, when it has one."""
        ...

    async def update(self, collection: str, item: str, change: Change) -> JSON:
        """Replace the item by `change(stored value or None)` atomically (no write of another
        request comes in between); returns the new value. The caller may change that value,
        but the store may too: memory's next update of the item may start from it (see
        `MemoryStore.update`), so it is read before anything else is awaited, or copied."""
        ...

    async def delete(self, collection: str, item: str) -> bool:
        """Remove an item; False when there was none."""
        ...

    async def items(self, collection: str, run: tuple[int, int] | None = None) -> Items:
        """Every (id, value) of a collection, oldest first (a value may be read and decoded
        only when it is asked for: a page of a large collection costs the page). With `run`
        (start, stop) only that run is read: an engine that would fetch every value at once
        fetches that run only."""
        ...

    async def collections(self, prefix: str) -> dict[str, int]:
        """The non-empty collections whose key starts with `prefix`, with their item counts."""
        ...

    async def clear(self, prefix: str) -> None:
        """Remove every collection whose key starts with `prefix` ("" for all)."""
        ...

    async def close(self) -> None: ...


# Big integers and lone surrogates are JSON orjson refuses: those values are kept in the
# standard library's encoding, marked by a leading NUL byte (JSON text never starts with one).
_STD = b"\x00"


def encode(value: JSON) -> bytes:
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return _STD + json.dumps(value, separators=(",", ":")).encode("utf-8", "surrogatepass")


def encoded(change: Change, value: JSON) -> bytes:
    """`value` (what `change` answered) encoded: the encoding the change made of it where it
    kept one (`made`, the engines' own encoding), else made here."""
    made: tuple[JSON, bytes] | None = getattr(change, "made", None)
    return made[1] if made is not None and made[0] is value else encode(value)


def decode(data: bytes) -> JSON:
    if data[:1] == _STD:
        return json.loads(data[1:].decode("utf-8", "surrogatepass"))
    return orjson.loads(data)


class Items(Sequence[tuple[str, JSON]]):
    """What `Store.items` answers: (id, value) pairs, oldest first. An engine says how many
    there are (`__len__`) and reads a run of them as stored (`_encoded`); every index, slice
    and iteration goes through that, so a page reads (and decodes) the page only, and
    `array` sends a page of stored values as it reads them."""

    def __len__(self) -> int:
        raise NotImplementedError

    def _encoded(self, start: int, stop: int) -> list[tuple[str, bytes]]:
        """The pairs from `start` to `stop` (0 <= start <= stop <= len), each value as stored."""
        raise NotImplementedError

    def _read(self, start: int, stop: int) -> list[tuple[str, JSON]]:
        return decoded(self._encoded(start, stop))

    def array(self, start: int, stop: int) -> bytes | None:
        """The values from `start` to `stop` as one JSON array of their stored bytes, nothing
        decoded (see `as_array`)."""
        stop = min(stop, len(self))
        return as_array(self._encoded(start, stop) if start < stop else [])

    def ids(self) -> list[str]:
        """The ids alone (a cursor's lookup), without reading the values where the engine can."""
        return [k for k, _ in self._encoded(0, len(self))]

    @overload
    def __getitem__(self, index: int) -> tuple[str, JSON]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[str, JSON]]: ...

    def __getitem__(self, index: int | slice) -> tuple[str, JSON] | list[tuple[str, JSON]]:
        count = len(self)
        if isinstance(index, slice):
            start, stop, step = index.indices(count)
            if step != 1:
                return self._read(0, count)[index]
            return self._read(start, stop) if start < stop else []
        position = index + count if index < 0 else index
        found = self._read(position, position + 1) if 0 <= position < count else []
        if not found:
            raise IndexError(index)
        return found[0]

    def __iter__(self) -> Iterator[tuple[str, JSON]]:
        return iter(self._read(0, len(self)))


def as_array(pairs: list[tuple[str, bytes]]) -> bytes | None:
    """The values of (id, encoded value) pairs as one JSON array (see `joined_array`)."""
    return joined_array([v for _, v in pairs])


def joined_array(values: list[bytes]) -> bytes | None:
    """Encoded values as one JSON array, their bytes joined (what `encode` makes of the list
    of them), or None where one is in the standard library's encoding."""
    joined = b",".join(values)
    return None if _STD in joined else b"[%b]" % joined  # orjson's JSON holds no raw NUL


def decoded(pairs: list[tuple[str, bytes]]) -> list[tuple[str, JSON]]:
    """(id, encoded value) pairs decoded, in one `orjson.loads` where it can."""
    array = as_array(pairs)
    if array is None:
        return [(k, decode(v)) for k, v in pairs]
    return list(zip([k for k, _ in pairs], orjson.loads(array), strict=True))  # one call for a page


class Decoded(Items):
    """(id, encoded value) pairs, each value decoded when it is read."""

    __slots__ = ("_pairs",)

    def __init__(self, pairs: list[tuple[str, bytes]]) -> None:
        self._pairs = pairs

    def __len__(self) -> int:
        return len(self._pairs)

    def _encoded(self, start: int, stop: int) -> list[tuple[str, bytes]]:
        return self._pairs[start:stop]

    def ids(self) -> list[str]:
        return [k for k, _ in self._pairs]


class Window(Items):
    """A run of a collection read on its own: `count` items in all, of which `pairs` (the
    encoded values from `start` to `stop`, fewer at its end). Reading outside the run is a
    defect of the caller."""

    __slots__ = ("_count", "_pairs", "_start", "_stop")

    def __init__(self, count: int, start: int, stop: int, pairs: list[tuple[str, bytes]]) -> None:
        self._count, self._start, self._stop, self._pairs = count, start, stop, pairs

    def __len__(self) -> int:
        return self._count

    def _encoded(self, start: int, stop: int) -> list[tuple[str, bytes]]:
        if start < self._start or stop > self._stop:
            raise LookupError(f"items {start}-{stop} lie outside the run read, {self._start}-{self._stop}")
        return self._pairs[start - self._start : stop - self._start]

    def ids(self) -> list[str]:
        raise LookupError("the ids of a whole collection are not in a run of it")


_T = TypeVar("_T")
_T_co = TypeVar("_T_co", covariant=True)


class _View(Protocol[_T_co]):
    """A dict's items or values: sized, and read from either end."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[_T_co]: ...

    def __reversed__(self) -> Iterator[_T_co]: ...


class _Live(Items):
    """A memory collection as it is when a run of it is read: nothing is copied when it is
    listed, and a run is walked to from the nearer end of the creation order, so a page of
    50 from 100,000 costs its distance from the first or the last item, not the 100,000.
    Reads take no await: within one step of the event loop, `len` and a run agree."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, bytes]) -> None:
        self._values = values

    def __len__(self) -> int:
        return len(self._values)

    def _encoded(self, start: int, stop: int) -> list[tuple[str, bytes]]:
        return self._run(self._values.items(), start, stop)

    def array(self, start: int, stop: int) -> bytes | None:
        return joined_array(self._run(self._values.values(), start, stop))  # no (id, value) pairs made

    @staticmethod
    def _run(view: _View[_T], start: int, stop: int) -> list[_T]:
        """Of `view` (the collection's items or values), the run from `start` to `stop`."""
        count = len(view)
        stop = min(stop, count)
        if start >= stop:
            return []
        if start <= count - stop:
            return list(islice(view, start, stop))
        return list(islice(reversed(view), count - stop, count - start))[::-1]

    def ids(self) -> list[str]:
        return list(self._values)


LIVE_ITEMS = 64  # decoded values a memory collection keeps for its next updates


def _encodes_to(value: JSON, data: bytes) -> bool:
    """Whether `value` is what `data` (as stored) decodes to: its encoding is `data`."""
    try:
        return orjson.dumps(value) == data
    except orjson.JSONEncodeError:  # (what the fallback encoder stored is decoded anew)
        return False


class _Bucket:
    __slots__ = ("live", "recency", "values")

    def __init__(self) -> None:
        self.values: dict[str, bytes] = {}  # creation order
        self.recency: OrderedDict[str, None] = OrderedDict()  # least recently used first
        self.live: dict[str, JSON] = {}  # the last values `update` made, see `MemoryStore.update`


class MemoryStore:
    """`max_items` per collection; `max_collections` collections (a scoped collection is one
    per parent id: `/users/{id}/posts` fuzzed with random ids), the least recently used dropped.

    Each method runs without awaiting anything, so on one event loop every call, `update`
    included, is atomic by construction."""

    def __init__(self, max_items: int = 10_000, max_collections: int = 10_000) -> None:
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self.max_items = max_items
        self.max_collections = max_collections

    def _get(self, collection: str, item: str) -> bytes | None:
        bucket = self._buckets.get(collection)
        if bucket is None:
            return None
        self._buckets.move_to_end(collection)
        value = bucket.values.get(item)
        if value is not None:
            bucket.recency.move_to_end(item)
        return value

    def _put(self, collection: str, item: str, value: JSON) -> None:
        self._put_encoded(collection, item, encode(value))

    def _put_encoded(self, collection: str, item: str, data: bytes) -> None:
        bucket = self._buckets.get(collection)
        if bucket is None:
            bucket = self._buckets[collection] = _Bucket()
            while len(self._buckets) > self.max_collections:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(collection)
        # A copy of its own size: orjson's bytes keep its whole output buffer (4 KB for a
        # 40-byte value), which a stored value would hold for as long as it is stored.
        bucket.values[item] = b"%b" % data
        bucket.live.pop(item, None)
        bucket.recency[item] = None
        bucket.recency.move_to_end(item)
        while len(bucket.values) > self.max_items:
            oldest, _ = bucket.recency.popitem(last=False)
            del bucket.values[oldest]
            bucket.live.pop(oldest, None)

    async def get(self, collection: str, item: str) -> JSON | None:
        value = self._get(collection, item)
        return None if value is None else decode(value)

    async def put(self, collection: str, item: str, value: JSON) -> None:
        self._put(collection, item, value)

    async def add(self, collection: str, item: str, value: JSON, *also: Entry) -> bool:
        if self._get(collection, item) is not None:
            return False
        self._put(collection, item, value)
        for entry in also:
            self._put(*entry)
        return True

    async def update(self, collection: str, item: str, change: Change) -> JSON:
        """As `Store.update`. The value an update made is kept decoded (up to `LIVE_ITEMS` of
        a collection's) and is the next update's start, instead of a decoding of the stored
        bytes (orjson's decoding of a 2 KB resource and freeing its objects are most of an
        update's cost under a server): taken only where it still encodes to the stored bytes,
        so a value changed since by whoever holds it (the answer made from it) is decoded anew.
        A change that fails leaves the stored bytes, and drops the value it was given."""
        current = self._get(collection, item)
        start: JSON | None = None
        if current is not None:
            bucket = self._buckets[collection]
            live = bucket.live.pop(item, None)  # (a stored null is decoded anew)
            start = live if live is not None and _encodes_to(live, current) else decode(current)
        value = change(start)
        data = encoded(change, value)
        self._put_encoded(collection, item, data)
        bucket = self._buckets[collection]
        if len(bucket.live) >= LIVE_ITEMS:
            bucket.live.clear()
        bucket.live[item] = value
        return value

    async def delete(self, collection: str, item: str) -> bool:
        bucket = self._buckets.get(collection)
        if bucket is None or item not in bucket.values:
            return False
        del bucket.values[item]
        del bucket.recency[item]
        bucket.live.pop(item, None)
        return True

    async def items(self, collection: str, run: tuple[int, int] | None = None) -> Items:
        bucket = self._buckets.get(collection)  # (a run of a live view costs the run already)
        return _Live(bucket.values if bucket is not None else {})

    async def collections(self, prefix: str) -> dict[str, int]:
        return {k: len(b.values) for k, b in self._buckets.items() if k.startswith(prefix) and b.values}

    async def clear(self, prefix: str) -> None:
        for key in [k for k in self._buckets if k.startswith(prefix)]:
            del self._buckets[key]

    async def close(self) -> None:
        return None

    def __len__(self) -> int:
        return sum(len(bucket.values) for bucket in self._buckets.values())


STATE_HELP = "memory, sqlite:///FILE.db (sqlite:////abs/path.db) or redis://HOST:PORT/N"


def open_store(url: str, max_items: int = 10_000) -> Store:
    """The engine `url` names (see the module docstring); nothing is connected yet: every
    engine connects on first use, on the event loop that uses it (see `Store.close`)."""
    if url == "memory":
        return MemoryStore(max_items)
    if url.startswith("sqlite:///"):
        from mockserver.state_sqlite import SqliteStore

        return SqliteStore(url.removeprefix("sqlite:///"))
    if url.startswith(("redis://", "rediss://", "unix://")):
        from mockserver.state_redis import RedisStore

        return RedisStore(url)
    raise UsageError(f"--state {url!r}: expected {STATE_HELP}")


def is_shared(url: str) -> bool:
    """Whether several processes using `url` see one state."""
    return url != "memory"

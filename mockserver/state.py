"""Where resources live between requests.

`Store` is the interface: resources are kept per collection (a string key naming the API,
the collection and its scope, see `resources.CollectionKey`) and per item id (a string),
listed in the order they were created. It is async so that SQLite or Redis can implement
it. `MemoryStore` keeps them in process memory, bounded: past `max_items` in a collection the
least recently used item is evicted, past `max_collections` the least recently used
collection, so a fuzzing run cannot exhaust memory.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

from mockserver.types import JSON


class Store(Protocol):
    async def get(self, collection: str, item: str) -> JSON | None: ...

    async def put(self, collection: str, item: str, value: JSON) -> None: ...

    async def delete(self, collection: str, item: str) -> bool:
        """Remove an item; False when there was none."""
        ...

    async def items(self, collection: str) -> list[tuple[str, JSON]]:
        """Every (id, value) of a collection, oldest first."""
        ...


class _Bucket:
    __slots__ = ("recency", "values")

    def __init__(self) -> None:
        self.values: dict[str, JSON] = {}  # creation order
        self.recency: OrderedDict[str, None] = OrderedDict()  # least recently used first


class MemoryStore:
    """`max_items` per collection; `max_collections` collections (a scoped collection is one
    per parent id: `/users/{id}/posts` fuzzed with random ids), the least recently used dropped."""

    def __init__(self, max_items: int = 10_000, max_collections: int = 10_000) -> None:
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self.max_items = max_items
        self.max_collections = max_collections

    async def get(self, collection: str, item: str) -> JSON | None:
        bucket = self._buckets.get(collection)
        if bucket is None:
            return None
        self._buckets.move_to_end(collection)
        value = bucket.values.get(item)
        if value is not None:
            bucket.recency.move_to_end(item)
        return value

    async def put(self, collection: str, item: str, value: JSON) -> None:
        bucket = self._buckets.get(collection)
        if bucket is None:
            bucket = self._buckets[collection] = _Bucket()
            while len(self._buckets) > self.max_collections:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(collection)
        bucket.values[item] = value
        bucket.recency[item] = None
        bucket.recency.move_to_end(item)
        while len(bucket.values) > self.max_items:
            oldest, _ = bucket.recency.popitem(last=False)
            del bucket.values[oldest]

    async def delete(self, collection: str, item: str) -> bool:
        bucket = self._buckets.get(collection)
        if bucket is None or item not in bucket.values:
            return False
        del bucket.values[item]
        del bucket.recency[item]
        return True

    async def items(self, collection: str) -> list[tuple[str, JSON]]:
        bucket = self._buckets.get(collection)
        return list(bucket.values.items()) if bucket is not None else []

    def __len__(self) -> int:
        return sum(len(bucket.values) for bucket in self._buckets.values())

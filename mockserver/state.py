"""Where resources live between requests.

`Store` is the interface: resources are kept per collection (a string key naming the API,
the collection and its scope, see `resources.CollectionKey`) and per item id (a string),
listed in the order they were created. It is async so that SQLite or Redis can implement
it. `MemoryStore` keeps them in process memory, each collection bounded: past
`max_items`, the least recently used item is evicted, so a fuzzing run cannot exhaust memory.
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
    def __init__(self, max_items: int = 10_000) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self.max_items = max_items

    async def get(self, collection: str, item: str) -> JSON | None:
        bucket = self._buckets.get(collection)
        if bucket is None:
            return None
        value = bucket.values.get(item)
        if value is not None:
            bucket.recency.move_to_end(item)
        return value

    async def put(self, collection: str, item: str, value: JSON) -> None:
        bucket = self._buckets.get(collection)
        if bucket is None:
            bucket = self._buckets[collection] = _Bucket()
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

"""Where resources live between requests.

`Store` is the interface (async, so that SQLite or Redis can implement it); `MemoryStore`
keeps resources in process memory, evicting the least recently used past a bound so that a
long fuzzing run cannot exhaust memory.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Protocol

from mockserver.types import JSON


class Store(Protocol):
    async def get(self, key: Hashable) -> JSON | None: ...

    async def put(self, key: Hashable, value: JSON) -> None: ...

    async def delete(self, key: Hashable) -> None: ...


class MemoryStore:
    def __init__(self, max_items: int = 100_000) -> None:
        self._items: OrderedDict[Hashable, JSON] = OrderedDict()
        self._max_items = max_items

    async def get(self, key: Hashable) -> JSON | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    async def put(self, key: Hashable, value: JSON) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self._max_items:
            self._items.popitem(last=False)

    async def delete(self, key: Hashable) -> None:
        self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)

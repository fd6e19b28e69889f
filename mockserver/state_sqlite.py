"""The SQLite engine of `state.Store`: one file, for one machine.

Every write is committed before the request that made it is answered, in WAL mode with
`synchronous=NORMAL`: an acknowledged update survives the process being killed (SIGKILL)
and a restart; a power loss may take back the last transactions, never corrupt the file.
Several processes (`--workers N`) may share the file: a read-modify-write runs in
`BEGIN IMMEDIATE`, which takes the file's write lock before reading, so no update is lost.
One connection per process, used by one coroutine at a time (an `asyncio.Lock`), so the
statements of two requests never mix inside one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from mockserver.errors import StateError
from mockserver.state import Change, Entry, decode, encode
from mockserver.types import JSON

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    collection TEXT NOT NULL,
    item TEXT NOT NULL,
    value BLOB NOT NULL,
    UNIQUE (collection, item)
)
"""
_UPSERT = (
    "INSERT INTO items (collection, item, value) VALUES (?, ?, ?) "
    "ON CONFLICT (collection, item) DO UPDATE SET value = excluded.value"
)
_SELECT = "SELECT value FROM items WHERE collection = ? AND item = ?"


class SqliteStore:
    def __init__(self, path: str) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    def _prepare(self) -> None:
        """Create the file and its table, synchronously (once per process): a file that
        cannot be opened fails here, before aiosqlite starts a thread for it."""
        if not Path(self.path).parent.is_dir():
            raise StateError(f"cannot open {self.path}: no directory {Path(self.path).parent}")
        try:
            with contextlib.closing(sqlite3.connect(self.path, timeout=30.0)) as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_SCHEMA)
                db.commit()
        except sqlite3.Error as exc:
            raise StateError(f"cannot open {self.path}: {exc}") from exc

    async def _open(self) -> aiosqlite.Connection:
        if self._db is None:
            self._prepare()
            db = await aiosqlite.connect(self.path, isolation_level=None, timeout=30.0)
            await db.execute("PRAGMA synchronous=NORMAL")
            self._db = db
        return self._db

    @asynccontextmanager
    async def _connection(self, transaction: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            db = await self._open()
            try:
                if not transaction:
                    yield db
                    return
                await db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    await db.execute("ROLLBACK")
                    raise
                await db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StateError(f"{self.path}: {exc}") from exc

    async def get(self, collection: str, item: str) -> JSON | None:
        async with self._connection() as db, db.execute(_SELECT, (collection, item)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else decode(row[0])

    async def put(self, collection: str, item: str, value: JSON) -> None:
        async with self._connection() as db:
            await db.execute(_UPSERT, (collection, item, encode(value)))

    async def add(self, collection: str, item: str, value: JSON, *also: Entry) -> bool:
        async with self._connection(transaction=True) as db:
            async with db.execute(_SELECT, (collection, item)) as cursor:
                if await cursor.fetchone() is not None:
                    return False
            await db.executemany(_UPSERT, [(c, i, encode(v)) for c, i, v in ((collection, item, value), *also)])
        return True

    async def update(self, collection: str, item: str, change: Change) -> JSON:
        async with self._connection(transaction=True) as db:
            async with db.execute(_SELECT, (collection, item)) as cursor:
                row = await cursor.fetchone()
            value = change(None if row is None else decode(row[0]))
            await db.execute(_UPSERT, (collection, item, encode(value)))
        return value

    async def delete(self, collection: str, item: str) -> bool:
        async with self._connection() as db:
            cursor = await db.execute("DELETE FROM items WHERE collection = ? AND item = ?", (collection, item))
            return cursor.rowcount > 0

    async def items(self, collection: str) -> list[tuple[str, JSON]]:
        query = "SELECT item, value FROM items WHERE collection = ? ORDER BY seq"
        async with self._connection() as db, db.execute(query, (collection,)) as cursor:
            rows = await cursor.fetchall()
        return [(item, decode(value)) for item, value in rows]

    async def collections(self, prefix: str) -> dict[str, int]:
        query = "SELECT collection, COUNT(*) FROM items WHERE substr(collection, 1, ?) = ? GROUP BY collection"
        async with self._connection() as db, db.execute(query, (len(prefix), prefix)) as cursor:
            rows = await cursor.fetchall()
        return {name: count for name, count in rows}

    async def clear(self, prefix: str) -> None:
        async with self._connection() as db:
            await db.execute("DELETE FROM items WHERE substr(collection, 1, ?) = ?", (len(prefix), prefix))

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

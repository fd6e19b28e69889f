"""The SQLite engine of `state.Store`: one file, for one machine.

Every write is committed before the request that made it is answered, in WAL mode with
`synchronous=NORMAL`: an acknowledged update survives the process being killed (SIGKILL)
and a restart; a power loss may take back the last transactions, never corrupt the file.
Several processes (`--workers N`) may share the file: a read-modify-write runs in
`BEGIN IMMEDIATE`, which takes the file's write lock before reading, so no update is lost.

Each call is one short statement or transaction run by the standard library's `sqlite3`
right on the event loop (a WAL commit without fsync is some microseconds; a hop to a
thread and back per statement, as aiosqlite makes, cost more than the statement, four of
them per update). Nothing in a transaction awaits, so the requests of one process never
mix inside one. The loop never waits on another process's lock: the connection's busy
timeout is zero, and a call that finds the file locked is retried after a short
`asyncio.sleep` (growing to `_MAX_PAUSE`), for at most `lock_timeout` seconds.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from mockserver.errors import StateError
from mockserver.state import Change, Entry, Items, decode, encode, encoded
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
_INDEX = "CREATE INDEX IF NOT EXISTS items_order ON items (collection, seq)"  # a page without a sort
_SELECT = "SELECT value FROM items WHERE collection = ? AND item = ?"
_COUNT = "SELECT COUNT(*) FROM items WHERE collection = ?"
_PAGE = "SELECT item, value FROM items WHERE collection = ? ORDER BY seq LIMIT ? OFFSET ?"
_IDS = "SELECT item FROM items WHERE collection = ? ORDER BY seq"
_FIRST_PAUSE, _MAX_PAUSE = 0.0005, 0.02  # seconds between attempts on a locked file
T = TypeVar("T")


def _locked(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF  # the primary code of an extended one
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _set_up(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(_SCHEMA)
    db.execute(_INDEX)
    db.execute("PRAGMA synchronous=NORMAL")


class SqliteStore:
    def __init__(self, path: str, lock_timeout: float = 30.0) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self._db: sqlite3.Connection | None = None
        self._ready = False  # the file in WAL mode, its table created

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            if not Path(self.path).parent.is_dir():
                raise StateError(f"cannot open {self.path}: no directory {Path(self.path).parent}")
            try:
                self._db = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            except sqlite3.Error as exc:
                raise StateError(f"cannot open {self.path}: {exc}") from exc
        return self._db

    async def _run(self, work: Callable[[sqlite3.Connection], T], transaction: bool = False) -> T:
        """`work` on the connection (in `BEGIN IMMEDIATE ... COMMIT` if `transaction`),
        retried while another process holds the file's lock; the file set up first."""
        db = self._open()
        pause, deadline = _FIRST_PAUSE, time.monotonic() + self.lock_timeout
        while True:
            try:
                if not self._ready:
                    _set_up(db)
                    self._ready = True
                if not transaction:
                    return work(db)
                db.execute("BEGIN IMMEDIATE")
                try:
                    result = work(db)
                    db.execute("COMMIT")
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
                return result
            except sqlite3.Error as exc:
                if not _locked(exc) or time.monotonic() >= deadline:
                    what = "cannot open" if not self._ready else "state in"
                    raise StateError(f"{what} {self.path}: {exc}") from exc
            await asyncio.sleep(pause)
            pause = min(pause * 2, _MAX_PAUSE)

    async def get(self, collection: str, item: str) -> JSON | None:
        row = await self._run(lambda db: db.execute(_SELECT, (collection, item)).fetchone())
        return None if row is None else decode(row[0])

    async def put(self, collection: str, item: str, value: JSON) -> None:
        data = encode(value)
        await self._run(lambda db: db.execute(_UPSERT, (collection, item, data)))

    async def add(self, collection: str, item: str, value: JSON, *also: Entry) -> bool:
        rows = [(c, i, encode(v)) for c, i, v in ((collection, item, value), *also)]

        def add(db: sqlite3.Connection) -> bool:
            if db.execute(_SELECT, (collection, item)).fetchone() is not None:
                return False
            db.executemany(_UPSERT, rows)
            return True

        return await self._run(add, transaction=True)

    async def update(self, collection: str, item: str, change: Change) -> JSON:
        def update(db: sqlite3.Connection) -> JSON:
            row = db.execute(_SELECT, (collection, item)).fetchone()
            value = change(None if row is None else decode(row[0]))
            db.execute(_UPSERT, (collection, item, encoded(change, value)))
            return value

        return await self._run(update, transaction=True)

    async def delete(self, collection: str, item: str) -> bool:
        query = "DELETE FROM items WHERE collection = ? AND item = ?"
        return await self._run(lambda db: db.execute(query, (collection, item)).rowcount > 0)

    async def items(self, collection: str, run: tuple[int, int] | None = None) -> Items:
        count = await self._run(lambda db: db.execute(_COUNT, (collection,)).fetchone()[0])
        return _Rows(self, collection, count)

    async def collections(self, prefix: str) -> dict[str, int]:
        query = "SELECT collection, COUNT(*) FROM items WHERE substr(collection, 1, ?) = ? GROUP BY collection"
        rows = await self._run(lambda db: db.execute(query, (len(prefix), prefix)).fetchall())
        return {name: count for name, count in rows}

    async def clear(self, prefix: str) -> None:
        query = "DELETE FROM items WHERE substr(collection, 1, ?) = ?"
        await self._run(lambda db: db.execute(query, (len(prefix), prefix)))

    async def close(self) -> None:
        if self._db is not None:
            db, self._db, self._ready = self._db, None, False
            db.close()


class _Rows(Items):
    """A collection of `count` items read a run at a time, where it is read (a list of 50
    from 100,000 reads 50 rows, not the collection): each read sees the file as it is then,
    so a write of another process between two reads may show in the second. A read of a
    locked file is an error here (reads in WAL mode wait for no writer)."""

    def __init__(self, store: SqliteStore, collection: str, count: int) -> None:
        self._store, self._collection, self._count = store, collection, count

    def __len__(self) -> int:
        return self._count

    def _encoded(self, start: int, stop: int) -> list[tuple[str, bytes]]:
        return self._query(_PAGE, (self._collection, stop - start, start))

    def ids(self) -> list[str]:
        return [item for (item,) in self._query(_IDS, (self._collection,))]

    def _query(self, query: str, parameters: tuple[object, ...]) -> list[Any]:
        try:
            return self._store._open().execute(query, parameters).fetchall()
        except sqlite3.Error as exc:
            raise StateError(f"state in {self._store.path}: {exc}") from exc

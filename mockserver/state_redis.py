"""The Redis engine of `state.Store`: one state shared by several workers and hosts.

A collection is a hash (item id -> encoded value) beside a sorted set of its ids scored by
a global counter, so it lists in creation order; a set names every collection, for
`collections` and `clear`. Writes that touch several keys are Lua scripts (atomic in
Redis). `update` is optimistic, per item: it applies the change (Python) to what the
item held when this process last read or wrote it (`_SEEN_KEPT` items are remembered;
else it reads the item first), and a script writes the result only if the item still
holds exactly that, else it answers what the item holds and the change is applied again
to that: a compare-and-set, finer than a `WATCH` of the whole collection, one round trip
where no other process wrote the item meanwhile. Within one process, the updates of one
item that arrive while one is being written are applied in turn and written together in
the next compare-and-set (`_drain`): concurrent requests of one worker neither retry
against each other nor wait a round trip each. Commands go over the process's one
pipelined connection (`redis_client.RedisConnection`).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from mockserver.errors import StateError
from mockserver.redis_client import RedisConnection, RedisError
from mockserver.state import Change, Decoded, Entry, Items, Window, decode, encode, encoded
from mockserver.types import JSON

_NS = "mockserver:"
_SEQ = _NS + "seq"
_ALL = _NS + "collections"
# KEYS: (hash, order) per entry, then seq and all; ARGV: guard, then (item, value, collection)
# per entry.
# ARGV[1] is the guard: "" writes unconditionally; "-" only where the first entry's item
# holds nothing.
_WRITE = """
if ARGV[1] == '-' and redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1 then
  return 0
end
local seq, all = KEYS[#KEYS - 1], KEYS[#KEYS]
for i = 0, (#KEYS - 2) / 2 - 1 do
  local item = ARGV[2 + 3 * i]
  if redis.call('HSET', KEYS[1 + 2 * i], item, ARGV[3 + 3 * i]) == 1 then
    redis.call('ZADD', KEYS[2 + 2 * i], redis.call('INCR', seq), item)
    redis.call('SADD', all, ARGV[4 + 3 * i])
  end
end
return 1
"""
# KEYS: hash, order, seq, all; ARGV: the value the change was applied to ("": none; no
# encoded value is empty), item, new value, collection. 1 when written; else {the value
# held} ({} for none). Comparing the values is cheaper than hashing one (`redis.sha1hex`).
_SWAP = """
local current = redis.call('HGET', KEYS[1], ARGV[2])
if (current or '') ~= ARGV[1] then
  return {current}
end
if redis.call('HSET', KEYS[1], ARGV[2], ARGV[3]) == 1 then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[2])
  redis.call('SADD', KEYS[4], ARGV[4])
end
return 1
"""
_DELETE = """
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[1], ARGV[1])
"""
# KEYS: hash, order; ARGV: start, stop (exclusive). {count, ids from start to stop, their
# values}; HMGET in chunks (Lua's `unpack` takes some thousands of arguments at most).
_WINDOW = """
local count = redis.call('ZCARD', KEYS[2])
local first, last = tonumber(ARGV[1]), tonumber(ARGV[2])
if last <= first or first >= count then
  return {count, {}, {}}
end
local ids = redis.call('ZRANGE', KEYS[2], first, last - 1)
local values = {}
for i = 1, #ids, 1000 do
  local part = redis.call('HMGET', KEYS[1], unpack(ids, i, math.min(i + 999, #ids)))
  for j = 1, #part do
    values[#values + 1] = part[j] or ''
  end
end
return {count, ids, values}
"""
_SEEN_KEPT = 1024
_Queue = list[tuple[Change, "asyncio.Future[JSON]"]]  # the changes of one item waiting to be written


def _hash(collection: str) -> str:
    return f"{_NS}h:{collection}"


def _order(collection: str) -> str:
    return f"{_NS}o:{collection}"


def _text(name: bytes) -> str:
    """An id or a collection's name as Redis gives it back."""
    return name.decode("utf-8", "surrogatepass")


class RedisStore:
    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self._redis = RedisConnection(url, connect_timeout=5.0, reply_timeout=30.0)
        except ValueError as exc:
            raise StateError(f"--state {url}: {exc}") from exc
        self._write = self._redis.script(_WRITE)
        self._swap = self._redis.script(_SWAP)
        self._delete = self._redis.script(_DELETE)
        self._window = self._redis.script(_WINDOW)
        # (collection, item) -> the changes waiting for the write under way (`_drain`).
        self._queues: dict[tuple[str, str], _Queue] = {}
        self._draining: set[asyncio.Task[None]] = set()
        # (collection, item) -> the encoded value this process last read or wrote: a guess
        # of what the item holds, checked by `_SWAP` (so a stale guess costs a round trip).
        self._seen: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    def _saw(self, collection: str, item: str, raw: bytes | None) -> None:
        key = (collection, item)
        if raw is None:
            self._seen.pop(key, None)
            return
        self._seen[key] = raw
        self._seen.move_to_end(key)
        if len(self._seen) > _SEEN_KEPT:
            self._seen.popitem(last=False)

    def _keys_args(self, guard: str, entries: tuple[Entry, ...]) -> tuple[list[str], list[str | bytes]]:
        keys: list[str] = []
        args: list[str | bytes] = [guard]
        for collection, item, value in entries:
            keys += [_hash(collection), _order(collection)]
            args += [item, encode(value), collection]
        return [*keys, _SEQ, _ALL], args

    async def get(self, collection: str, item: str) -> JSON | None:
        try:
            raw = await self._redis.execute("HGET", _hash(collection), item)
        except RedisError as exc:
            raise self._error(exc) from exc
        self._saw(collection, item, raw)
        return None if raw is None else decode(raw)

    async def put(self, collection: str, item: str, value: JSON) -> None:
        keys, args = self._keys_args("", ((collection, item, value),))
        self._saw(collection, item, None)
        try:
            await self._write(keys, args)
        except RedisError as exc:
            raise self._error(exc) from exc

    async def add(self, collection: str, item: str, value: JSON, *also: Entry) -> bool:
        keys, args = self._keys_args("-", ((collection, item, value), *also))
        for entry in ((collection, item), *((c, i) for c, i, _ in also)):
            self._saw(*entry, None)
        try:
            return bool(await self._write(keys, args))
        except RedisError as exc:
            raise self._error(exc) from exc

    async def update(self, collection: str, item: str, change: Change) -> JSON:
        key = (collection, item)
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        queue = self._queues.get(key)
        if queue is None:  # no write of this item under way: start one
            queue = self._queues[key] = []
            task = asyncio.create_task(self._drain(collection, item, queue))
            self._draining.add(task)
            task.add_done_callback(lambda done: self._drained(done, key, queue))
        queue.append((change, future))
        return await future

    async def _drain(self, collection: str, item: str, queue: _Queue) -> None:
        """Write the item's queued changes, those queued meanwhile in the next write, until
        none is left; each request gets the value its own change made (or its exception).
        A change stays in `queue` until it is answered (see `_drained`)."""
        while queue:
            batch = queue[:]
            try:
                outcomes = await self._swap_in(collection, item, [change for change, _ in batch])
            except RedisError as exc:
                self._saw(collection, item, None)
                outcomes = [self._error(exc)] * len(batch)
            del queue[: len(batch)]
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # its request went away
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
        del self._queues[(collection, item)]  # no await since the queue was found empty

    def _drained(self, task: asyncio.Task[None], key: tuple[str, str], queue: _Queue) -> None:
        """After `_drain`: where it stopped short (cancelled at shutdown, a defect), every
        change still queued is answered with that, none left waiting."""
        self._draining.discard(task)
        if self._queues.get(key) is not queue:
            return
        del self._queues[key]
        failure = None if task.cancelled() else task.exception()
        error = failure if isinstance(failure, Exception) else StateError(f"redis at {self.url}: shutting down")
        for _, future in queue:
            if not future.done():
                future.set_exception(error)

    async def _swap_in(self, collection: str, item: str, changes: list[Change]) -> list[JSON | Exception]:
        """`changes` applied in turn, each to what the one before made, and the last value
        written if the item still holds what the first was applied to (else all again, on
        what it holds). A change that raises leaves the value as it was for the next."""
        keys = [_hash(collection), _order(collection), _SEQ, _ALL]
        raw = self._seen.get((collection, item))
        if raw is None:
            raw = await self._redis.execute("HGET", _hash(collection), item)
        while True:
            outcomes: list[JSON | Exception] = []
            written = raw
            for change in changes:
                try:  # each change gets a value of its own (it may change it in place, then fail)
                    value = change(None if written is None else decode(written))
                    data = encoded(change, value)
                except Exception as exc:  # this request's own failure (nothing stored, too large)
                    outcomes.append(exc)
                    continue
                outcomes.append(value)
                written = data
            if written is raw or written is None:  # every change failed: nothing to write
                return outcomes
            held = await self._swap(keys, [raw or b"", item, written, collection])
            if held == 1:
                self._saw(collection, item, written)
                return outcomes
            raw = held[0] if held else None

    async def delete(self, collection: str, item: str) -> bool:
        self._saw(collection, item, None)
        try:
            return bool(await self._delete([_hash(collection), _order(collection)], [item]))
        except RedisError as exc:
            raise self._error(exc) from exc

    async def items(self, collection: str, run: tuple[int, int] | None = None) -> Items:
        try:
            if run is not None:
                count, ids, values = await self._window([_hash(collection), _order(collection)], list(run))
                return Window(count, *run, [(_text(i), v) for i, v in zip(ids, values, strict=True) if v])
            order, flat = await self._redis.transaction(
                ("ZRANGE", _order(collection), 0, -1), ("HGETALL", _hash(collection))
            )
        except RedisError as exc:
            raise self._error(exc) from exc
        held = dict(zip(flat[::2], flat[1::2], strict=True))
        return Decoded([(_text(i), held[i]) for i in order if i in held])

    async def _names(self, prefix: str) -> list[str]:
        names = [_text(n) for n in await self._redis.execute("SMEMBERS", _ALL)]
        return sorted(n for n in names if n.startswith(prefix))

    async def collections(self, prefix: str) -> dict[str, int]:
        try:
            names = await self._names(prefix)
            counts = await asyncio.gather(*(self._redis.execute("HLEN", _hash(name)) for name in names))
        except RedisError as exc:
            raise self._error(exc) from exc
        return {name: count for name, count in zip(names, counts, strict=True) if count}

    async def clear(self, prefix: str) -> None:
        self._seen.clear()
        try:
            names = await self._names(prefix)
            if names:
                await self._redis.execute("DEL", *[k for n in names for k in (_hash(n), _order(n))])
                await self._redis.execute("SREM", _ALL, *names)
        except RedisError as exc:
            raise self._error(exc) from exc

    async def ping(self) -> None:
        try:
            await self._redis.execute("PING")
        except RedisError as exc:
            raise self._error(exc) from exc

    async def close(self) -> None:
        await self._redis.close()

    def _error(self, exc: RedisError) -> StateError:
        return StateError(f"redis at {self.url}: {exc}")

"""The state stage: a resource is generated once (deterministically from the seed, the
API, the operation and the path parameters), stored, and changed by later updates."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Mapping

from mockserver.errors import MockServerError
from mockserver.generator import GenContext, seeded_context
from mockserver.operations import Operation, ResponseSpec
from mockserver.state import Store
from mockserver.types import JSON

_DAY = 86_400


class GeneratedBodyError(MockServerError):
    """The generator built a body its own schema rejects: a bug in the mock, never the client's."""


class ResourceKeeper:
    def __init__(self, store: Store, seed: int, clock: Callable[[], float], epoch: float | None = None) -> None:
        self.store = store
        self.seed = seed
        self.clock = clock
        # Generated timestamps are anchored at a fixed instant (by default the start of
        # today, UTC), so the same seed gives the same resource, and all of them lie in the past.
        self.epoch = epoch if epoch is not None else float(int(clock()) // _DAY * _DAY)

    def context(self, op: Operation, path_params: Mapping[str, str], status: int, dynamic: bool = False) -> GenContext:
        if dynamic:
            return GenContext(rng=random.Random(secrets.randbits(64)), now=self.epoch, status=status)
        parts = (self.seed, op.api, op.operation_id, status, sorted(path_params.items()))
        return seeded_context(parts, self.epoch, status)

    def generate(
        self, op: Operation, response: ResponseSpec, path_params: Mapping[str, str], status: int, dynamic: bool = False
    ) -> JSON:
        if response.generate is None:
            return None
        return response.generate(self.context(op, path_params, status, dynamic))

    def _key(self, op: Operation, path_params: Mapping[str, str]) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        return (op.api, op.path, tuple(sorted(path_params.items())))

    def fresh(self, op: Operation, path_params: Mapping[str, str], dynamic: bool = False) -> JSON:
        """A newly generated resource, settled and checked against the response schema.

        Later updates only write values that pass the schema of their own field
        (`update.FieldSlot`), so a resource that starts valid stays valid.
        """
        resource = op.update.settle(self.generate(op, op.success, path_params, op.success.code, dynamic), path_params)
        if not op.success.accepts(resource):
            raise GeneratedBodyError(f"generated body breaks the schema of {op.method} {op.path}: {resource!r}")
        return resource

    async def current(self, op: Operation, path_params: Mapping[str, str]) -> JSON:
        """The stored resource, or a freshly generated one."""
        stored = await self.store.get(self._key(op, path_params))
        if stored is not None:
            return stored
        return self.fresh(op, path_params)

    async def handle(
        self,
        op: Operation,
        path_params: Mapping[str, str],
        body: JSON,
        headers: Mapping[str, str],
        dynamic: bool = False,
    ) -> JSON:
        """Apply the request's method to the resource and return the response body."""
        if dynamic:
            resource = self.fresh(op, path_params, dynamic=True)
            return op.update.apply(resource, body, headers, path_params, self.clock())
        key = self._key(op, path_params)
        resource = await self.current(op, path_params)
        if op.method == "DELETE":
            await self.store.delete(key)
            return resource
        if op.method in ("GET", "HEAD"):
            await self.store.put(key, resource)
            return resource
        resource = op.update.apply(resource, body, headers, path_params, self.clock())
        await self.store.put(key, resource)
        return resource

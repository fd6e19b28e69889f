"""Update semantics, compiled per operation from its profile and its schemas.

The returned resource *is* the one addressed by the path (`identity`); fields sent in the
body come back with the sent values (same-named fields automatically, renamed ones via
`echo`, headers via `from_headers`); `accumulate`d lists only grow; `touch`ed timestamps
move forward. A value the response schema cannot hold is not written: the stored value
stays, and the response never breaks its schema to echo a request.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mockserver.adapter import flagged
from mockserver.errors import ProfileError
from mockserver.generator import time_rank
from mockserver.model import squash
from mockserver.profile import OperationProfile
from mockserver.projection import WriteOnlyCleaner
from mockserver.realism import format_datetime
from mockserver.schemas import validator as schema_validator
from mockserver.types import JSON, IsValid, Schema


@dataclass(frozen=True, slots=True)
class FieldSlot:
    """A place in the response body, with the check its values must pass."""

    path: tuple[str, ...]
    is_valid: IsValid
    clean: Callable[[JSON], JSON] | None = None  # drops `writeOnly` parts of a value before it is kept

    def read(self, resource: JSON) -> JSON:
        node = resource
        for key in self.path:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    def write(self, resource: JSON, value: JSON) -> bool:
        if not self.path or not self.is_valid(value):
            return False
        node = resource
        for key in self.path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return False
        node[self.path[-1]] = self.clean(value) if self.clean is not None else value
        return True


@dataclass(frozen=True)
class UpdatePlan:
    identity: tuple[tuple[FieldSlot, str], ...] = ()
    echo: tuple[tuple[str, FieldSlot], ...] = ()
    from_headers: tuple[tuple[str, FieldSlot], ...] = ()
    accumulate: tuple[tuple[FieldSlot, FieldSlot], ...] = ()
    touch: tuple[tuple[FieldSlot, tuple[FieldSlot, ...]], ...] = ()  # (field, fields it may not precede)
    fixed: tuple[tuple[tuple[str, ...], JSON], ...] = ()

    def settle(self, resource: JSON, path_params: Mapping[str, str]) -> JSON:
        """What always holds of the resource: its identity, fixed values, grown lists."""
        for path, value in self.fixed:
            if not path:
                return value
            _set(resource, path, value)
        for slot, parameter in self.identity:
            if parameter in path_params:
                slot.write(resource, path_params[parameter])
        for target, source in self.accumulate:
            self._grow(resource, target, source.read(resource))
        return resource

    def apply(
        self, resource: JSON, body: JSON, headers: Mapping[str, str], path_params: Mapping[str, str], now: float
    ) -> JSON:
        """Apply one update request to `resource` (in place when it is an object)."""
        if isinstance(body, dict):
            for key, slot in self.echo:
                if key in body:
                    slot.write(resource, body[key])
        for header, slot in self.from_headers:
            value = headers.get(header)
            if value is not None:
                slot.write(resource, value)
        for slot, floors in self.touch:
            slot.write(resource, _later(now, slot.read(resource), *(floor.read(resource) for floor in floors)))
        return self.settle(resource, path_params)

    @staticmethod
    def _grow(resource: JSON, target: FieldSlot, values: JSON) -> None:
        current = target.read(resource)
        current = list(current) if isinstance(current, list) else []
        seen = set(map(_identity, current))  # a set, not list membership: 100k ids stay linear
        added: list[JSON] = []
        for value in values if isinstance(values, list) else []:
            key = _identity(value)
            if key not in seen:
                seen.add(key)
                added.append(value)
        if added or not isinstance(target.read(resource), list):
            target.write(resource, current + added)


def _identity(value: JSON) -> object:
    """A hashable stand-in for a JSON value: 1, true and "1" differ; 1 and 1.0 do not, at the top
    level (inside an array or object they do, as their encodings differ)."""
    kind = type(value)
    if kind is str:
        return value  # (the others are tuples)
    if kind is int or kind is float:
        return (False, value)
    return (None, json.dumps(value, sort_keys=True))


def _set(resource: JSON, path: tuple[str, ...], value: JSON) -> None:
    node = resource
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node[path[-1]] = value


def _later(now: float, previous: JSON, *floors: JSON) -> str:
    """The time of an update: now, but never before the previous value or its floors.

    Two updates in the same millisecond share a timestamp, so a burst never pushes
    `updated_at` ahead of the clock; when the stored value is ahead of the clock (it was
    set back), each update steps one millisecond past it, so the value still moves forward.
    """
    stamp = _stamp(int(now * 1000))
    # Fast path: timestamps in the mock's own fixed-width UTC form order as strings.
    size = len(stamp)
    for v in (previous, *floors):
        if isinstance(v, str) and not (len(v) == size and v[-1] == "Z" and v <= stamp):
            break
    else:
        return stamp
    moment = now
    for earlier, step in ((previous, 0.001), *((floor, 0.0) for floor in floors)):
        if isinstance(earlier, str):
            with contextlib.suppress(ValueError):
                instant = datetime.fromisoformat(earlier).timestamp()
                moment = max(moment, instant + step if instant > now else instant)
    return format_datetime(moment)


@functools.lru_cache(maxsize=8)
def _stamp(milliseconds: int) -> str:
    return format_datetime(milliseconds / 1000)


def compile_update_plan(
    profile: OperationProfile,
    request_schema: Schema | None,
    response_schema: Schema | None,
    path_params: tuple[str, ...],
    source: str,
    where: str,
    strict: bool = True,
    infer_times: bool = False,
) -> UpdatePlan:
    """The plan of `profile` over `response_schema` (the answer's, or a stored resource's).

    `strict`: a profile entry naming a field the schema lacks is a `ProfileError` (else it is
    left out: the profile speaks of the answer, which may be another shape than the stored
    resource). `infer_times`: without a profile `touch`, the `updated_at`-like date-time
    fields are touched, never before the `created_at`-like ones.
    """
    if response_schema is None:
        return UpdatePlan(fixed=tuple((_dotted(k), v) for k, v in profile.fixed.items()))

    def find(dotted: str, section: str) -> FieldSlot | None:
        path = _dotted(dotted)
        schema = _subschema(response_schema, path)
        if schema is None:
            if strict:
                raise ProfileError(source, f"the response has no field {dotted!r}", f"{where}.{section}")
            return None
        check = schema_validator(schema, validate_formats=True).is_valid
        return FieldSlot(path, check, WriteOnlyCleaner.compile(schema))

    def slot(dotted: str, section: str) -> FieldSlot:
        found = find(dotted, section)
        assert found is not None  # strict, or filtered by `known`
        return found

    def known(dotted: str) -> bool:
        return strict or _subschema(response_schema, _dotted(dotted)) is not None

    if strict:
        for dotted, value in profile.fixed.items():
            target = response_schema if dotted == "" else _subschema(response_schema, _dotted(dotted))
            if target is None or not schema_validator(target, validate_formats=True).is_valid(value):
                raise ProfileError(
                    source, f"fixed value {value!r} does not fit the response at {dotted!r}", f"{where}.fixed"
                )
        for parameter in profile.identity.values():
            if parameter not in path_params:
                raise ProfileError(
                    source, f"no path parameter {parameter!r} (have {list(path_params)})", f"{where}.identity"
                )
    request_fields = _properties(request_schema or {})
    response_fields = _properties(response_schema)
    if strict:
        for field in [*profile.echo.values(), *profile.accumulate.values()]:
            if field not in request_fields and field not in response_fields:
                raise ProfileError(source, f"no field {field!r} in the request or response", where)
        for pair in profile.ordered:
            for name in pair:
                slot(name, "ordered")
    touch = list(profile.touch)
    ordered = list(profile.ordered)
    if infer_times and not touch:
        times = [name for name, sub in response_fields.items() if isinstance(sub, dict) and is_timestamp(sub, name)]
        touch = [name for name in times if time_rank(name) == 2]
        ordered += [(first, name) for name in touch for first in times if time_rank(first) == 0]
    renamed = set(profile.echo.values())
    renamed_pairs: list[tuple[str, str]] = []
    same_names = [
        k
        for k in request_fields
        if k not in renamed and k in response_fields and not flagged(response_fields[k], "writeOnly")
    ]
    if not strict:
        # The mock's own plan also matches names that differ in case and separators only
        # (Twilio sends `FriendlyName` and shows `friendly_name`); the contract suite's does not.
        squashed: dict[str, list[str]] = {}
        for name in response_fields:
            squashed.setdefault(squash(name), []).append(name)
        for key in request_fields:
            matches = squashed.get(squash(key), [])
            unmatched = key not in response_fields and key not in renamed
            match = matches[0] if unmatched and len(matches) == 1 and matches[0] not in same_names else None
            if match is not None and not flagged(response_fields[match], "writeOnly"):
                renamed_pairs.append((key, match))
    return UpdatePlan(
        identity=tuple(
            (slot(target, "identity"), param)
            for target, param in profile.identity.items()
            if known(target) and param in path_params
        ),
        echo=tuple((key, slot(key, "echo")) for key in same_names)
        + tuple((key, slot(target, "echo")) for target, key in profile.echo.items() if known(target))
        + tuple((key, slot(target, "echo")) for key, target in renamed_pairs),
        from_headers=tuple(
            (header.lower(), slot(target, "from_headers"))
            for target, header in profile.from_headers.items()
            if known(target)
        ),
        accumulate=tuple(
            (slot(target, "accumulate"), slot(src, "accumulate"))
            for target, src in profile.accumulate.items()
            if known(target) and known(src)
        ),
        touch=tuple(
            (slot(name, "touch"), tuple(slot(a, "ordered") for a, b in ordered if b == name and known(a)))
            for name in touch
            if known(name)
        ),
        fixed=tuple((_dotted(k), v) for k, v in profile.fixed.items()) if strict else (),
    )


def is_timestamp(schema: Schema, name: str) -> bool:
    """A date-time field: `format: date-time`, or a string named like `created_at`."""
    kinds = schema.get("type")
    text = kinds == "string" or (isinstance(kinds, list) and "string" in kinds)
    return text and (schema.get("format") == "date-time" or name.endswith("_at"))


def _dotted(dotted: str) -> tuple[str, ...]:
    return tuple(part for part in dotted.split(".") if part)


def _properties(schema: Schema) -> dict[str, Any]:
    props: dict[str, Any] = dict(schema.get("properties") or {})
    for branch in schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf") or []:
        props.update(_properties(branch))
    return props


def _subschema(schema: Schema, path: tuple[str, ...]) -> Schema | None:
    node: Schema | None = schema
    for key in path:
        node = _properties(node).get(key) if node is not None else None
    return node

"""Projection: a stored resource shown through the schema of the answer that gives it.

An answer is first generated from its own schema (deterministically for the resource), then
every field the resource has and that schema declares is written into it, recursively, each
value checked against its field's schema first. So a create answer that declares only
`{id, status}` carries the new id, a list item schema that is a summary gets the summary's
fields, and no answer breaks its schema to show a stored value. Compiled once per schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from mockserver.adapter import flagged
from mockserver.model import envelope_key, object_view, schema_key
from mockserver.schemas import validator as schema_validator
from mockserver.types import JSON, IsValid, Schema

# Top-level booleans that tell a client its write worked (`{"success": true}`).
AFFIRMATIONS = frozenset({"success", "ok", "acknowledged", "deleted", "removed", "done", "succeeded", "updated"})


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    is_valid: IsValid
    inner: Projector | None


class Projector:
    """Writes `resource`'s fields into `answer` where `schema` declares and accepts them."""

    __slots__ = ("_fields", "_wrapper", "identical", "is_object")

    def __init__(self, schema: Schema | None, read_key: str | None = None, depth: int = 0) -> None:
        view = object_view(schema)
        self.is_object = view is not None
        # The answer's schema is the resource's own: the stored resource is the answer.
        self.identical = read_key is not None and view is not None and schema_key(view) == read_key
        fields: list[_Field] = []
        if view is not None and not self.identical:
            for name, sub in (view.get("properties") or {}).items():
                if not isinstance(sub, dict) or flagged(sub, "writeOnly"):
                    continue  # what a client writes is never shown back
                inner = Projector(sub, depth=depth + 1) if depth < 8 and object_view(sub) is not None else None
                check = schema_validator(sub, validate_formats=True).is_valid
                fields.append(_Field(name, check, inner))
        self._fields = tuple(fields)
        # `{"transactionRule": {...}}` around the resource: the resource goes inside.
        key = envelope_key(view) if view is not None and not self.identical else None
        self._wrapper = (key, Projector(view["properties"][key], read_key, depth + 1)) if key and view else None

    def __call__(self, answer: JSON, resource: JSON) -> JSON:
        if self.identical:
            return resource
        if not isinstance(answer, dict) or not isinstance(resource, dict):
            return answer
        if self._wrapper is not None and self._wrapper[0] not in resource:
            key, inner = self._wrapper
            if inner.identical or isinstance(answer.get(key), dict):
                answer[key] = inner(answer.get(key), resource)
            return answer
        for spec in self._fields:
            if spec.name not in resource:
                continue
            value = resource[spec.name]
            if spec.is_valid(value):
                answer[spec.name] = value
            elif spec.inner is not None and isinstance(value, dict) and isinstance(answer.get(spec.name), dict):
                spec.inner(answer[spec.name], value)
        return answer


def affirmer(schema: Schema | None, names: frozenset[str] = AFFIRMATIONS) -> Callable[[JSON], JSON]:
    """`true` for a boolean answer, and `true` in top-level booleans like `success`, where the
    schema allows it: what a successful write says about itself."""
    check = schema_validator(schema or {}, validate_formats=True).is_valid
    if isinstance(schema, dict) and schema.get("type") in ("boolean", ["boolean"]) and check(True):
        return lambda answer: True
    view = object_view(schema)
    slots = []
    for name, sub in ((view or {}).get("properties") or {}).items():
        if name.lower() in names and isinstance(sub, dict) and schema_validator(sub).is_valid(True):
            slots.append(name)
    if not slots:
        return lambda answer: answer

    def affirm(answer: JSON) -> JSON:  # a copy where it says something: the value given may be the one stored
        if isinstance(answer, dict) and any(name in answer for name in slots):
            return {**answer, **{name: True for name in slots if name in answer}}
        return answer

    return affirm


class WriteOnlyCleaner:
    """Removes `writeOnly` properties from a value, at any depth, by its schema: what a
    client sent for them is stored nowhere and shown never. Compiled once per schema."""

    __slots__ = ("drop", "items", "props")

    def __init__(
        self, drop: frozenset[str], props: dict[str, WriteOnlyCleaner], items: WriteOnlyCleaner | None
    ) -> None:
        self.drop = drop
        self.props = props
        self.items = items

    @classmethod
    def compile(cls, schema: Schema | None, depth: int = 0) -> WriteOnlyCleaner | None:
        """None when `schema` holds no `writeOnly` property (the common case)."""
        if not isinstance(schema, dict) or depth > 16 or "writeOnly" not in json.dumps(schema, default=str):
            return None
        drop: set[str] = set()
        props: dict[str, WriteOnlyCleaner] = {}
        items: WriteOnlyCleaner | None = None
        for part in (
            schema,
            *(b for k in ("allOf", "anyOf", "oneOf") for b in schema.get(k) or [] if isinstance(b, dict)),
        ):
            for name, sub in (part.get("properties") or {}).items():
                if flagged(sub, "writeOnly"):
                    drop.add(name)
                else:
                    inner = cls.compile(sub, depth + 1)
                    if inner is not None:
                        props[name] = inner
            if part is not schema:
                nested = cls.compile({k: v for k, v in part.items()}, depth + 1) if "properties" not in part else None
                if nested is not None:
                    drop |= nested.drop
                    props.update(nested.props)
            if isinstance(part.get("items"), dict):
                items = items or cls.compile(part["items"], depth + 1)
        if not drop and not props and items is None:
            return None
        return cls(frozenset(drop), props, items)

    def __call__(self, value: JSON) -> JSON:
        if isinstance(value, dict):
            return {
                key: (self.props[key](item) if key in self.props else item)
                for key, item in value.items()
                if key not in self.drop
            }
        if isinstance(value, list) and self.items is not None:
            return [self.items(item) for item in value]
        return value

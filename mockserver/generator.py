"""Schema-conformant, realistic values: each schema is compiled once into a closure.

`compile_generator(schema, name)` walks a (`$ref`-free) schema at start-up and returns a
`Generator`: a function of a `GenContext` (a seeded RNG, the clock and the response status)
that builds a value. Realism comes from the format and the property name (see `realism`),
from the schema's own `examples`, `default`s and enums, and from a per-object timeline that
keeps related timestamps ordered: created/started <= finished/ended <= updated.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from mockserver import realism
from mockserver.types import JSON, Schema

_DAY = 86_400.0


@dataclass(slots=True)
class GenContext:
    rng: random.Random
    now: float
    status: int = 200
    timeline: tuple[float, float, float] | None = None


Generator = Callable[[GenContext], JSON]

_RANKS = (
    ("created", "start", "started", "begin", "opened", "published"),
    ("finished", "ended", "end", "completed", "closed", "processed"),
    ("updated", "modified", "last", "changed", "edited"),
)


def time_rank(name: str) -> int | None:
    """0, 1 or 2 for names of the created/finished/updated kind; None for others."""
    stem = name.lower().removesuffix("_at").removesuffix("_time").removesuffix("_on")
    words = stem.replace("-", "_").split("_")
    for rank, keys in enumerate(_RANKS):
        if any(word in keys for word in words):
            return rank
    return None


def compile_generator(schema: Schema, name: str = "") -> Generator:
    """Compile `schema` into a generator; `name` is the property it describes, if any."""
    if not isinstance(schema, dict):
        return lambda ctx: None if schema is False else "value"
    if "const" in schema:
        return _constant(schema["const"])
    if "enum" in schema:
        return _choice(list(schema["enum"]))
    if "allOf" in schema:
        return compile_generator(_merge_all_of(schema), name)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            branches = [{**_without(schema, key), **branch} for branch in schema[key]]
            return _union([compile_generator(b, name) for b in branches], [_is_null(b) for b in branches])
    kind = schema.get("type")
    if isinstance(kind, list):
        branches = [{**schema, "type": k} for k in kind]
        return _union([compile_generator(b, name) for b in branches], [k == "null" for k in kind])
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    base = _BY_TYPE.get(kind, _string)(schema, name)
    return _with_samples(schema, base)


def _constant(value: JSON) -> Generator:
    if isinstance(value, dict | list):
        return lambda ctx: copy.deepcopy(value)
    return lambda ctx: value


def _choice(options: list[JSON]) -> Generator:
    if len(options) == 1:
        return _constant(options[0])
    return lambda ctx: copy.deepcopy(ctx.rng.choice(options))


def _without(schema: Schema, key: str) -> Schema:
    return {k: v for k, v in schema.items() if k != key}


def _is_null(schema: Schema) -> bool:
    return schema.get("type") == "null" or schema.get("const", 0) is None


def _merge_all_of(schema: Schema) -> Schema:
    merged: Schema = _without(schema, "allOf")
    for part in schema["allOf"]:
        for key, value in part.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = sorted({*merged.get("required", []), *value})
            else:
                merged.setdefault(key, value)
    return merged


def _union(options: list[Generator], nulls: list[bool]) -> Generator:
    real = [g for g, is_null in zip(options, nulls, strict=True) if not is_null]
    if not real:
        return lambda ctx: None
    has_null = len(real) < len(options)

    def generate(ctx: GenContext) -> JSON:
        if has_null and ctx.rng.random() < 0.1:
            return None
        return ctx.rng.choice(real)(ctx)

    return generate


def _with_samples(schema: Schema, base: Generator) -> Generator:
    """Prefer the schema's own valid `examples` and scalar `default` some of the time."""
    samples = [e for e in schema.get("examples") or [] if not isinstance(e, dict | list)]
    if "default" in schema and not isinstance(schema["default"], dict | list):
        samples.append(schema["default"])
    if samples:
        check = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
        samples = [s for s in samples if check.is_valid(s)]
    if not samples:
        return base
    return lambda ctx: ctx.rng.choice(samples) if ctx.rng.random() < 0.6 else base(ctx)


def _object(schema: Schema, name: str) -> Generator:
    properties: dict[str, Schema] = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    fields = [(key, compile_generator(sub, key), key in required) for key, sub in properties.items()]
    missing_required = [key for key in required if key not in properties]
    fields += [(key, realism_string(key), True) for key in missing_required]
    extra = schema.get("additionalProperties", True)
    free_form = not properties and extra is not False
    extra_gen = compile_generator(extra, name) if isinstance(extra, dict) and extra else None
    has_times = any(_is_datetime(sub, key) and time_rank(key) is not None for key, sub in properties.items())
    place = "latitude" in properties and "longitude" in properties
    spans = [("start", "end")] if _numeric(properties, "start") and _numeric(properties, "end") else []

    def generate(ctx: GenContext) -> JSON:
        saved = ctx.timeline
        if has_times:
            ctx.timeline = _timeline(ctx)
        rng = ctx.rng
        out: dict[str, JSON] = {}
        for key, field_gen, is_required in fields:
            if is_required or rng.random() < 0.85:
                out[key] = field_gen(ctx)
        if free_form:
            out.update(_free_form(rng, extra_gen, ctx))
        if place and isinstance(out.get("latitude"), float) and isinstance(out.get("longitude"), float):
            address, out["latitude"], out["longitude"] = realism.place(rng)
            if isinstance(out.get("address"), str):
                out["address"] = address
        for first, last in spans:
            a, b = out.get(first), out.get(last)
            if isinstance(a, int | float) and isinstance(b, int | float) and a > b:
                out[first], out[last] = b, a
        ctx.timeline = saved
        return out

    return generate


def realism_string(name: str) -> Generator:
    pick = realism.string_for(name, None)
    return lambda ctx: pick(ctx.rng)


def _free_form(rng: random.Random, extra_gen: Generator | None, ctx: GenContext) -> dict[str, JSON]:
    keys = rng.sample(("source", "priority", "channel", "locale", "team"), 2)
    if extra_gen is not None:
        return {key: extra_gen(ctx) for key in keys}
    values = {"source": "web", "priority": "normal", "channel": "email", "locale": "en-US", "team": "growth"}
    return {key: values[key] for key in keys}


def _is_datetime(schema: Schema, name: str) -> bool:
    if schema.get("format") == "date-time":
        return True
    if name.endswith("_at") and schema.get("type") == "string" and "format" not in schema:
        return True  # `created_at` without a format is still a timestamp
    return any(_is_datetime(b, name) for b in schema.get("anyOf") or schema.get("oneOf") or [])


def _numeric(properties: dict[str, Schema], key: str) -> bool:
    kind = properties.get(key, {}).get("type")
    return kind in ("number", "integer")


def _timeline(ctx: GenContext) -> tuple[float, float, float]:
    rng, now = ctx.rng, ctx.now
    created = now - rng.uniform(2 * _DAY, 45 * _DAY)
    finished = created + rng.uniform(600.0, 7200.0)
    updated = min(now, finished + rng.uniform(0.0, 3 * _DAY))
    return (round(created, 3), round(finished, 3), round(updated, 3))


def _array(schema: Schema, name: str) -> Generator:
    item_name = name[:-1] if name.endswith("s") else name
    item = compile_generator(schema.get("items") or {}, item_name)
    low = int(schema.get("minItems", 0))
    high = int(schema.get("maxItems", max(low, 3)))
    low = max(low, min(1, high))
    high = max(low, min(high, low + 3))
    unique = bool(schema.get("uniqueItems"))

    def generate(ctx: GenContext) -> JSON:
        count = ctx.rng.randint(low, high)
        items = [item(ctx) for _ in range(count)]
        if unique:
            seen: dict[str, JSON] = {}
            for value in items:
                seen.setdefault(json.dumps(value, sort_keys=True), value)
            items = list(seen.values())
        return items

    return generate


def _string(schema: Schema, name: str) -> Generator:
    fmt = schema.get("format")
    low = int(schema.get("minLength", 0))
    high = schema.get("maxLength")
    if "pattern" in schema:
        return _pattern(schema["pattern"], low, high)
    if _is_datetime(schema, name) and "maxLength" not in schema:
        return _datetime(time_rank(name))
    pick = realism.string_for(name, fmt)
    if low == 0 and high is None:
        return lambda ctx: pick(ctx.rng)

    def generate(ctx: GenContext) -> JSON:
        value = str(pick(ctx.rng))
        if len(value) < low:
            value += "x" * (low - len(value))
        return value[:high] if high is not None else value

    return generate


def _datetime(rank: int | None) -> Generator:
    def generate(ctx: GenContext) -> JSON:
        if rank is not None and ctx.timeline is not None:
            return realism.format_datetime(ctx.timeline[rank])
        return realism.format_datetime(ctx.now - ctx.rng.uniform(0.0, 30 * _DAY))

    return generate


def _pattern(pattern: str, low: int, high: int | None) -> Generator:
    # Rare in practice; a pool drawn once at start-up from hypothesis's regex strategy.
    from hypothesis import strategies as st

    strategy = st.from_regex(pattern, fullmatch=True).filter(
        lambda s: len(s) >= low and (high is None or len(s) <= high)
    )
    pool = [strategy.example() for _ in range(8)]
    return lambda ctx: ctx.rng.choice(pool)


def _number(schema: Schema, name: str, integer: bool) -> Generator:
    if name.lower() in ("status_code", "statuscode"):
        check = jsonschema_rs.Draft202012Validator(schema)
        fallback = _number_in_range(schema, name, integer)
        return lambda ctx: ctx.status if check.is_valid(ctx.status) else fallback(ctx)
    return _number_in_range(schema, name, integer)


def _number_in_range(schema: Schema, name: str, integer: bool) -> Generator:
    low, high = realism.number_range(name, integer)
    s_low = schema.get("minimum", schema.get("exclusiveMinimum"))
    s_high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if s_low is not None and s_low > low:
        low = s_low + (1 if "exclusiveMinimum" in schema and integer else 0)
    if s_high is not None and s_high < high:
        high = s_high - (1 if "exclusiveMaximum" in schema and integer else 0)
    if low > high:
        low, high = (s_low or high), (s_high if s_high is not None else (s_low or 0) + 100)
    step = schema.get("multipleOf")
    if integer:
        lo, hi = int(-(-low // 1)), int(high // 1)

        def integer_value(ctx: GenContext) -> JSON:
            value = ctx.rng.randint(lo, max(lo, hi))
            return value - value % step if isinstance(step, int) and step else value

        return integer_value
    exclusive_low = "exclusiveMinimum" in schema

    def number_value(ctx: GenContext) -> JSON:
        value = round(ctx.rng.uniform(low, high), 4)
        if exclusive_low and value <= low:
            value = round(low + (high - low) / 2, 4)
        if step:
            value = round(value / step) * step
        return value

    return number_value


_BY_TYPE: dict[str, Callable[[Schema, str], Generator]] = {
    "object": _object,
    "array": _array,
    "string": _string,
    "integer": lambda schema, name: _number(schema, name, True),
    "number": lambda schema, name: _number(schema, name, False),
    "boolean": lambda schema, name: lambda ctx: ctx.rng.random() < 0.5,
    "null": lambda schema, name: lambda ctx: None,
}


def seeded_context(seed_parts: tuple[Any, ...], now: float, status: int = 200) -> GenContext:
    """A context whose RNG is derived from `seed_parts` only (no global random state)."""
    return GenContext(rng=random.Random(repr(seed_parts)), now=now, status=status)

"""Schema-conformant, realistic values: each schema is compiled once into a closure.

`compile_generator(schema, name)` walks a schema at start-up and returns a
`Generator`: a function of a `GenContext` (a seeded RNG, the clock and the response status)
that builds a value. Realism comes from the format and the property name (see `realism`),
from the schema's own `examples`, `default`s and enums, and from a per-object timeline that
keeps related timestamps ordered: created/started <= finished/ended <= updated.
The loader leaves a `$ref` only where a schema recurses: there generation stops with the
shortest valid branch (an omitted optional property, an empty array, another branch of a
union, null where allowed).
"""

from __future__ import annotations

import contextvars
import copy
import decimal
import json
import math
import random
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import rstr

from mockserver import realism
from mockserver.adapter import DISCRIMINATOR, SOFT_NULL, flagged
from mockserver.schemas import validator as schema_validator
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


def compile_generator(schema: Schema, name: str = "", request: bool | None = None) -> Generator:
    """Compile `schema` into a generator; `name` is the property it describes, if any.

    An answer (the default) never holds `writeOnly` properties; with `request=True` the
    value is what a client sends, without `readOnly` ones.
    """
    if request is not None:
        token = _FOR_REQUEST.set(request)
        try:
            return compile_generator(schema, name)
        finally:
            _FOR_REQUEST.reset(token)
    if not isinstance(schema, dict):
        return lambda ctx: None if schema is False else "value"
    if "$ref" in schema:
        return lambda ctx: {}  # recursion, required where it is met: the smallest object
    tag = schema.get(DISCRIMINATOR)
    if isinstance(tag, list) and len(tag) == 2:
        base = compile_generator(_without(schema, DISCRIMINATOR), name)
        held = (schema.get("properties") or {}).get(tag[0])
        if isinstance(held, dict) and not schema_validator(held).is_valid(tag[1]):
            return base  # the branch's own schema names it otherwise (an enum): keep that
        return _tagged(base, str(tag[0]), tag[1])
    if "oneOf" in schema:
        # A value of one branch may match another too, which `oneOf` forbids: try again.
        return checked(_one_of(schema, name), schema_validator(schema).is_valid)
    if schema.get(SOFT_NULL):
        return compile_generator(_without_null(schema), name)
    if "const" in schema:
        return _constant(schema["const"])
    if "enum" in schema:
        return _choice(list(schema["enum"]))
    if "allOf" in schema:
        return compile_generator(_merge_all_of(schema), name)
    if "anyOf" in schema:
        branches = [{**_without(schema, "anyOf"), **branch} for branch in _finite(schema["anyOf"])]
        return _union([compile_generator(b, name) for b in branches], [_is_null(b) for b in branches])
    kind = schema.get("type")
    if isinstance(kind, list):
        branches = [{**schema, "type": k} for k in kind]
        return _union([compile_generator(b, name) for b in branches], [k == "null" for k in kind])
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    base = _BY_TYPE.get(kind, _string)(schema, name)
    return _with_samples(schema, base)


_FOR_REQUEST: contextvars.ContextVar[bool] = contextvars.ContextVar("for_request", default=False)


def _recursive(schema: Any) -> bool:
    """Whether `schema` leads only back into a recursion (a `$ref` the loader kept, or a union
    of such and null)."""
    if not isinstance(schema, dict):
        return False
    if "$ref" in schema:
        return True
    branches = schema.get("anyOf") or schema.get("oneOf")
    real = [b for b in branches or [] if not (isinstance(b, dict) and _is_null(b))]
    return bool(real) and all(_recursive(b) for b in real)


def _finite(branches: list[Any]) -> list[Any]:
    """The branches of a union that do not recurse, if any do not."""
    return [b for b in branches if not _recursive(b)] or branches


def _one_of(schema: Schema, name: str) -> Generator:
    branches = [
        {**_without(schema, "oneOf"), **branch} for branch in _finite(schema["oneOf"]) if isinstance(branch, dict)
    ]
    return _union([compile_generator(b, name) for b in branches], [_is_null(b) for b in branches])


def _tagged(base: Generator, prop: str, value: JSON) -> Generator:
    """A branch of a discriminated union: its discriminator property holds its own name."""

    def generate(ctx: GenContext) -> JSON:
        out = base(ctx)
        if isinstance(out, dict):
            out[prop] = value
        return out

    return generate


def checked(base: Generator, is_valid: Callable[[JSON], bool], tries: int = 8) -> Generator:
    """`base`, drawn again (up to `tries` times) while its value fails `is_valid`: for what
    a generator cannot build valid by construction (`oneOf` exclusivity, cross-field rules)."""

    def generate(ctx: GenContext) -> JSON:
        value = base(ctx)
        for _ in range(tries):
            if is_valid(value):
                break
            value = base(ctx)
        return value

    return generate


def _without_null(schema: Schema) -> Schema:
    """`schema` as it was before a 3.1 `nullable` was read as allowing null."""
    out = _without(schema, SOFT_NULL)
    kind = out.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        out["type"] = kinds[0] if len(kinds) == 1 else kinds
    if isinstance(out.get("enum"), list) and any(v is not None for v in out["enum"]):
        out["enum"] = [v for v in out["enum"] if v is not None]
    branches = out.get("anyOf")
    if isinstance(branches, list) and any(not _is_null(b) for b in branches):
        out["anyOf"] = [b for b in branches if not _is_null(b)]
    return out


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
        if _recursive(part):
            continue
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
        check = schema_validator(schema, validate_formats=True)
        samples = [s for s in samples if check.is_valid(s)]
    if not samples:
        return base
    return lambda ctx: ctx.rng.choice(samples) if ctx.rng.random() < 0.6 else base(ctx)


def _object(schema: Schema, name: str) -> Generator:
    hidden = "readOnly" if _FOR_REQUEST.get() else "writeOnly"
    required = set(schema.get("required") or [])
    properties: dict[str, Schema] = {
        key: sub
        for key, sub in (schema.get("properties") or {}).items()
        if not flagged(sub, hidden) and (key in required or not _recursive(sub))
    }
    required = {key for key in required if key in properties or key not in schema.get("properties", {})}
    fields = [(key, compile_generator(sub, key), key in required) for key, sub in properties.items()]
    missing_required = [key for key in required if key not in properties]
    fields += [(key, realism_string(key), True) for key in missing_required]
    extra = schema.get("additionalProperties", True)
    min_props = int(schema.get("minProperties", 0))
    max_props: int | None = schema.get("maxProperties")
    free_form = extra is not False and (not properties or min_props > len(properties))
    key_names = _key_names(schema.get("propertyNames"))
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
            wanted = is_required or len(out) < min_props or rng.random() < 0.85
            if wanted and (is_required or max_props is None or len(out) < max_props):
                out[key] = field_gen(ctx)
        if free_form:
            count = max(min_props - len(out), 0 if properties else 2)
            if max_props is not None:
                count = min(count, max_props - len(out))
            if key_names is not None:  # `propertyNames` constrains the keys
                keys = rng.sample(key_names, min(count, len(key_names)))
                out.update({key: extra_gen(ctx) if extra_gen else _FREE_FORM.get(key, "value") for key in keys})
            else:
                out.update(_free_form(rng, extra_gen, ctx, count))
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


def _key_names(names: Any) -> list[str] | None:
    """The keys an object may have by its `propertyNames` (None: no constraint; [] when the
    constraint is not a list of names, so that no made-up key breaks it)."""
    if not isinstance(names, dict):
        return None
    if "const" in names:
        return [str(names["const"])]
    if isinstance(names.get("enum"), list):
        return [str(name) for name in names["enum"] if isinstance(name, str)]
    for key in ("anyOf", "oneOf"):
        branches = names.get(key)
        if isinstance(branches, list):
            found = [_key_names(b) for b in branches]
            return [n for group in found if group for n in group]
    return []


def realism_string(name: str) -> Generator:
    pick = realism.string_for(name, None)
    return lambda ctx: pick(ctx.rng)


_FREE_FORM = {"source": "web", "priority": "normal", "channel": "email", "locale": "en-US", "team": "growth"}


def _free_form(rng: random.Random, extra_gen: Generator | None, ctx: GenContext, count: int) -> dict[str, JSON]:
    """`count` realistic keys for an object whose properties the schema leaves open."""
    if count <= 0:
        return {}
    names = list(_FREE_FORM)
    keys = rng.sample(names, min(count, len(names))) + [f"key_{i}" for i in range(count - len(names))]
    if extra_gen is not None:
        return {key: extra_gen(ctx) for key in keys}
    return {key: _FREE_FORM.get(key, "value") for key in keys}


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
    if _recursive(schema.get("items")):
        high = low  # recursion: as few items as allowed
    low = max(low, min(1, high))
    high = max(low, min(high, low + 3))
    unique = bool(schema.get("uniqueItems"))

    def generate(ctx: GenContext) -> JSON:
        count = ctx.rng.randint(low, high)
        if not unique:
            return [item(ctx) for _ in range(count)]
        seen: dict[str, JSON] = {}
        for _ in range(10 * count + 10):
            if len(seen) >= count:
                break
            value = item(ctx)
            seen.setdefault(json.dumps(value, sort_keys=True), value)
        return list(seen.values())

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
    try:
        re.compile(pattern)
    except re.error:
        return lambda ctx: "x" * low

    def generate(ctx: GenContext) -> JSON:
        xeger = rstr.Rstr(ctx.rng)
        value = ""
        for _ in range(10):
            value = xeger.xeger(pattern)
            if len(value) >= low and (high is None or len(value) <= high):
                break
        return value

    return generate


def _number(schema: Schema, name: str, integer: bool) -> Generator:
    if name.lower() in ("status_code", "statuscode"):
        check = schema_validator(schema)
        fallback = _number_in_range(schema, name, integer)
        return lambda ctx: ctx.status if check.is_valid(ctx.status) else fallback(ctx)
    return _number_in_range(schema, name, integer)


def _bounds(schema: Schema) -> tuple[float | None, bool, float | None, bool]:
    """(low, low is exclusive, high, high is exclusive) in the 3.1 dialect."""
    low, high = schema.get("minimum"), schema.get("maximum")
    low_x = high_x = False
    exclusive_low, exclusive_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if _is_number(exclusive_low) and (low is None or exclusive_low >= low):
        low, low_x = exclusive_low, True
    if _is_number(exclusive_high) and (high is None or exclusive_high <= high):
        high, high_x = exclusive_high, True
    return low, low_x, high, high_x


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_multiple(value: float, step: float) -> bool:
    # The arithmetic of the reference validators: a float step is checked by division.
    if isinstance(step, float) or isinstance(value, float):
        quotient = value / step
        return math.isfinite(quotient) and int(quotient) == quotient
    return value % step == 0


def _number_in_range(schema: Schema, name: str, integer: bool) -> Generator:
    low, low_x, high, high_x = _bounds(schema)
    hint_low, hint_high = realism.number_range(name, integer)
    a = hint_low if low is None else max(hint_low, low)
    b = hint_high if high is None else min(hint_high, high)
    if a > b or (a == b and low != high):  # the realistic range misses the schema's: use the schema's
        a = low if low is not None else (high if high is not None else 0) - 100
        b = high if high is not None else a + 100
    step: Any = schema.get("multipleOf")
    lo: float = a
    hi: float = b
    if integer:
        lo = math.ceil(a) + (1 if low_x and math.ceil(a) == low else 0)
        hi = math.floor(b) - (1 if high_x and math.floor(b) == high else 0)
    if _is_number(step) and step > 0:
        return _multiple(lo, hi, step, low if low_x else None, high if high_x else None, integer)
    if integer:
        return lambda ctx: ctx.rng.randint(int(lo), max(int(lo), int(hi)))

    def number_value(ctx: GenContext) -> JSON:
        value = round(ctx.rng.uniform(lo, hi), 4)
        if (low_x and value <= lo) or value < lo or (high_x and value >= hi) or value > hi:
            value = lo + (hi - lo) / 2
        return value

    return number_value


def _multiple(
    lo: float, hi: float, step: float, open_low: float | None, open_high: float | None, integer: bool
) -> Generator:
    first, last = math.ceil(lo / step), math.floor(hi / step)
    if open_low is not None and first * step <= open_low:
        first += 1
    if open_high is not None and last * step >= open_high:
        last -= 1
    decimals = max(0, -decimal.Decimal(repr(step)).as_tuple().exponent)  # type: ignore[operator]

    def multiple(ctx: GenContext) -> JSON:
        value: float = first * step
        for _ in range(16):
            k = ctx.rng.randint(first, max(first, last))
            value = int(k * step) if integer or isinstance(step, int) else round(k * step, decimals)
            if _is_multiple(value, step):
                break
        return value

    return multiple


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


@dataclass(frozen=True, slots=True)
class Generation:
    """Where generation contexts come from: the server's seed and its time anchor.

    Generated timestamps lie before `epoch` (by default the start of the current UTC day),
    so one seed gives the same data all day and every timestamp is in the past.
    """

    seed: int
    epoch: float

    def context(self, *parts: Any, status: int = 200) -> GenContext:
        """A context derived from the seed and `parts` only: the same parts, the same value."""
        return seeded_context((self.seed, *parts), self.epoch, status)

    def fresh(self, status: int = 200) -> GenContext:
        """A context that gives a new value every time (`Prefer: dynamic=true`)."""
        return GenContext(rng=random.Random(secrets.randbits(64)), now=self.epoch, status=status)


def day_anchor(now: float) -> float:
    """The start of the UTC day that `now` lies in."""
    return float(int(now) // int(_DAY) * int(_DAY))

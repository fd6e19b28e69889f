"""Schema-conformant, realistic values: each schema is compiled once into a closure.

`compile_generator(schema, name)` walks a schema at start-up and returns a
`Generator`: a function of a `GenContext` (a seeded RNG, the clock and the response status)
that builds a value. Realism comes from the format and the property name (see `realism`),
from the schema's own `examples`, `default`s and enums, and from a per-object timeline that
keeps related timestamps ordered: created/started <= finished/ended <= updated.

Most keywords are honoured by construction (`combine` merges `allOf`s, `object_keys` builds
the keys of open objects). A node holding a keyword in `_HARD` (`oneOf`, `not`, `if`, ...) is
guarded: its values are checked against it, with slower fallbacks (see `fallback`).
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
import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockserver import fallback, object_keys, realism
from mockserver.adapter import DISCRIMINATOR, SOFT_NULL, flagged
from mockserver.combine import INEXACT, admitted, is_annotation, merge_all_of, not_null, with_siblings
from mockserver.schemas import validator as schema_validator
from mockserver.types import JSON, Schema

_DAY = 86_400.0


_NOTHING: frozenset[str] = frozenset()


class GenContext:
    """What a generator draws from: its RNG, the clock, the answer's status, the timeline
    of the object being made, and `skip`, the top-level object's fields to leave out (the
    caller writes them: a create's body). Made with a `seed` instead of an RNG, the RNG is
    seeded on its first use (seeding costs about 5 us; a create whose body supplies every
    field draws nothing)."""

    __slots__ = ("now", "rng", "seed", "skip", "status", "timeline")

    rng: random.Random

    def __init__(
        self,
        rng: random.Random | None,
        now: float,
        status: int = 200,
        timeline: tuple[float, float, float] | None = None,
        seed: str = "",
    ) -> None:
        if rng is not None:
            self.rng = rng
        self.now, self.status, self.timeline, self.seed = now, status, timeline, seed
        self.skip = _NOTHING

    if not TYPE_CHECKING:  # (so that mypy still refuses a misspelt attribute)

        def __getattr__(self, name: str) -> Any:  # only reached while `rng` is unset
            if name != "rng":
                raise AttributeError(name)
            self.rng = rng = random.Random(self.seed)
            return rng


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
    if not _HARD.isdisjoint(schema) and not schema.get(_GUARDED):
        return _guarded(schema, name)
    tag = schema.get(DISCRIMINATOR)
    if isinstance(tag, list) and len(tag) == 2:
        base = compile_generator(_without(schema, DISCRIMINATOR), name)
        held = (schema.get("properties") or {}).get(tag[0])
        if isinstance(held, dict) and not schema_validator(held).is_valid(tag[1]):
            return base  # the branch's own schema names it otherwise (an enum): keep that
        return _tagged(base, str(tag[0]), tag[1])
    if "oneOf" in schema:
        return _one_of(schema, name)  # guarded: a value of one branch may match another too
    if schema.get(SOFT_NULL):
        return compile_generator(_without_null(schema), name)
    if "const" in schema:
        return _constant(schema["const"])
    if "enum" in schema:
        return _choice(not_null(admitted(schema)))
    if "allOf" in schema:
        merged = merge_all_of(schema)
        if merged.pop(INEXACT, False) and not schema.get(_GUARDED):
            return _guarded(schema, name)  # the merge may miss a constraint: check the value
        return compile_generator(merged, name)
    if "anyOf" in schema:
        branches = [
            with_siblings(schema, "anyOf", branch) for branch in _non_recursive(schema["anyOf"]) if branch is not False
        ]
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


def _non_recursive(branches: list[Any]) -> list[Any]:
    """The branches of a union that do not recurse, if any do not."""
    return [b for b in branches if not _recursive(b)] or branches


def _one_of(schema: Schema, name: str) -> Generator:
    branches = [
        with_siblings(schema, "oneOf", branch) for branch in _non_recursive(schema["oneOf"]) if isinstance(branch, dict)
    ]
    return _union([compile_generator(b, name) for b in branches], [_is_null(b) for b in branches])


def _canonical(schema: Schema, name: str, hidden: str, request: bool) -> Generator | None:
    """The generator of `schema`'s canonical form; for a discriminated `oneOf`, of each branch's
    own part (what no other branch admits), its values tagged with the branch's name."""
    branches = [with_siblings(schema, "oneOf", b) for b in schema.get("oneOf") or [] if isinstance(b, dict)]
    if any(DISCRIMINATOR in b for b in branches):
        forms = fallback.exclusive_forms(branches, hidden)
        if forms is not None and any(forms):
            options = []
            for form, branch in zip(forms, branches, strict=True):
                if form is not None:
                    own = compile_generator({**form, _GUARDED: True}, name, request)
                    tag = branch.get(DISCRIMINATOR)
                    options.append(
                        _tagged(own, str(tag[0]), tag[1]) if isinstance(tag, list) and len(tag) == 2 else own
                    )
            return _union(options, [False] * len(options))
    form = fallback.canonical_form(schema, hidden)
    return None if form is None else compile_generator({**form, _GUARDED: True}, name, request)


def _seeded_draw(generate: Generator, seed: int) -> JSON:
    return generate(GenContext(random.Random(seed), _PROBE_NOW))


# Keywords whose values the fast generator only approximates: a node holding one is guarded.
_GUARDED = "x-mock-guarded"  # on a node the guard has taken care of
_HARD = frozenset(
    {
        "oneOf",
        "not",
        "if",
        "dependentRequired",
        "dependentSchemas",
        "contains",
        "propertyNames",
        "patternProperties",
        "uniqueItems",
        "unevaluatedProperties",
        "unevaluatedItems",
    }
)
_FAST_TRIES = 3
_SLOW_TRIES = 6
_PROBE_NOW = 1_700_000_000.0
_IN_FALLBACK: contextvars.ContextVar[bool] = contextvars.ContextVar("in_fallback", default=False)


def _guarded(schema: Schema, name: str) -> Generator:
    """`schema`'s fast generator, its values checked against `schema`; on repeated failure a
    generator of its canonical form, then a pool of valid values found once (see `fallback`).
    Built on first use (a large document holds thousands of such nodes, most never reached);
    one value is drawn then: a schema no value is found for is warned about once, then."""
    request, in_fallback = _FOR_REQUEST.get(), _IN_FALLBACK.get()

    def build() -> Generator:
        tokens = _FOR_REQUEST.set(request), _IN_FALLBACK.set(in_fallback)
        try:
            return _build_guarded(schema, name, request)
        finally:
            _FOR_REQUEST.reset(tokens[0])
            _IN_FALLBACK.reset(tokens[1])

    return lazy(build)


def _build_guarded(schema: Schema, name: str, request: bool) -> Generator:
    hidden = "readOnly" if request else "writeOnly"
    fast = compile_generator({**schema, _GUARDED: True}, name)
    is_valid = fallback.node_validator(schema, hidden)
    if is_valid is None:
        return fast
    if _IN_FALLBACK.get():
        return checked(fast, is_valid, _FAST_TRIES)

    def slow() -> Generator | None:
        token = _IN_FALLBACK.set(True)
        try:
            return _canonical(schema, name, hidden, request)
        finally:
            _IN_FALLBACK.reset(token)

    generate = fallback.guard(fast, is_valid, slow, _seeded_draw, _FAST_TRIES, _SLOW_TRIES)
    if not is_valid(generate(GenContext(random.Random(0), _PROBE_NOW))):
        fallback.warn_unsatisfied(name, schema)
    return generate


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


def lazy(build: Callable[[], Generator]) -> Generator:
    """A generator compiled by `build` on its first use: a large document's hundreds of
    error answers cost nothing at start-up until one of them is asked for."""
    compiled: list[Generator] = []

    def generate(ctx: GenContext) -> JSON:
        if not compiled:
            compiled.append(build())
        return compiled[0](ctx)

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
    dependent = schema.get("dependentSchemas")
    if isinstance(dependent, dict) and any(k in dependent for k in schema.get("required") or []):
        # A required key's dependent schema always applies: merge it in.
        always = [dependent[k] for k in schema.get("required") or [] if k in dependent]
        rest = {k: v for k, v in dependent.items() if k not in (schema.get("required") or [])}
        base = {**_without(schema, "dependentSchemas"), **({"dependentSchemas": rest} if rest else {})}
        return compile_generator(merge_all_of({"allOf": [base, *always]}), name)
    hidden = "readOnly" if _FOR_REQUEST.get() else "writeOnly"
    declared = schema.get("properties") or {}
    names_ok = object_keys.names_check(schema.get("propertyNames"))
    properties: dict[str, Schema] = {
        key: sub
        for key, sub in declared.items()
        if sub is not False
        and not flagged(sub, hidden)
        and (names_ok is None or names_ok(key))
        and (key in (schema.get("required") or []) or not _recursive(sub))  # recursion: left out where it may be
    }
    needs = {k: v for k, v in (schema.get("dependentRequired") or {}).items() if isinstance(v, list)}
    required = object_keys.with_dependents(
        [key for key in schema.get("required") or [] if key in properties or key not in declared], needs
    )
    extra = schema.get("additionalProperties", True)
    extra_gen = compile_generator(extra, name) if isinstance(extra, dict) and extra else None
    patterns = object_keys.pattern_properties(schema.get("patternProperties"), compile_generator)
    fields = [(key, compile_generator(sub, key), key in required) for key, sub in properties.items()]
    fields += [
        (key, object_keys.undeclared(key, patterns, extra_gen), True) for key in required if key not in properties
    ]
    by_key = {key: field_gen for key, field_gen, _ in fields}
    min_props = int(schema.get("minProperties", 0))
    max_props: int | None = schema.get("maxProperties")
    free_form = (extra is not False or bool(patterns)) and (not properties or min_props > len(properties))
    free_keys = object_keys.free_keys(schema, names_ok, patterns, extra, extra_gen, set(declared), compile_generator)
    checks = object_keys.dependent_checks(dependent, properties)
    has_times = any(_is_datetime(sub, key) and time_rank(key) is not None for key, sub in properties.items())
    place = "latitude" in properties and "longitude" in properties
    spans = [("start", "end")] if _numeric(properties, "start") and _numeric(properties, "end") else []
    # Fields may be left out (`GenContext.skip`) where no rule ties them to the others.
    skippable = not (needs or checks or place or spans or free_form or min_props or max_props is not None)

    def generate(ctx: GenContext) -> JSON:
        skip = ctx.skip
        if skip:
            ctx.skip = _NOTHING  # the top-level object's, not its fields' fields
            if not skippable:
                skip = _NOTHING
        saved = ctx.timeline
        if has_times:
            ctx.timeline = _timeline(ctx)
        out: dict[str, JSON] = {}
        for key, field_gen, is_required in fields:
            if key in skip:
                continue
            # (`ctx.rng` read where it is drawn from: an object whose fields are all skipped seeds none)
            wanted = is_required or len(out) < min_props or ctx.rng.random() < 0.85
            if wanted and (is_required or max_props is None or len(out) < max_props):
                out[key] = field_gen(ctx)
        if free_form:
            count = max(min_props - len(out), 0 if properties else 2)
            if max_props is not None:
                count = min(count, max_props - len(out))
            out.update(free_keys(ctx, count))
        if needs:
            object_keys.add_dependents(out, needs, by_key, required, max_props, ctx)
        for key, check in checks:
            if key in out and key not in required and not check(out):
                del out[key]  # its dependent schema does not hold: leave the optional key out
        if place and isinstance(out.get("latitude"), float) and isinstance(out.get("longitude"), float):
            address, out["latitude"], out["longitude"] = realism.place(ctx.rng)
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
    items = schema.get("items")
    prefix = [compile_generator(sub, item_name) for sub in schema.get("prefixItems") or []]
    item = compile_generator(items if isinstance(items, dict) else {}, item_name)
    low = int(schema.get("minItems", 0))
    high = int(schema.get("maxItems", max(low, 3)))
    if prefix and not isinstance(items, dict):  # a tuple: as long as its prefix, where allowed
        high = min(high, len(prefix)) if items is False or "maxItems" in schema else max(low, len(prefix))
        low = max(low, min(len(prefix), high))
    if _recursive(schema.get("items")):
        high = low  # recursion: as few items as allowed
    low = max(low, min(1, high))
    high = max(low, min(high, low + 3))
    unique = bool(schema.get("uniqueItems"))
    finite = _finite(items) if unique and not prefix else None
    contains = schema.get("contains")
    if isinstance(contains, dict) and not prefix:
        return _containing(schema, contains, item, items, item_name, low, high)

    def generate(ctx: GenContext) -> JSON:
        count = ctx.rng.randint(low, high)
        if finite is not None:
            return copy.deepcopy(ctx.rng.sample(finite, min(count, len(finite))))
        if not unique:
            return [prefix[i](ctx) if i < len(prefix) else item(ctx) for i in range(count)]
        seen: dict[str, JSON] = {}
        for _ in range(10 * count + 10):
            if len(seen) >= count:
                break
            value = prefix[len(seen)](ctx) if len(seen) < len(prefix) else item(ctx)
            seen.setdefault(json.dumps(value, sort_keys=True), value)
        return list(seen.values())

    return generate


def _finite(items: Any) -> list[JSON] | None:
    """All the values an item schema admits, when they are few (an enum, a boolean)."""
    if not isinstance(items, dict):
        return None
    if "const" in items:
        return [items["const"]]
    if isinstance(items.get("enum"), list) and not items.get(SOFT_NULL):
        return not_null(admitted(items))
    if items.get("type") == "boolean" and all(k == "type" or is_annotation(k) for k in items):
        return [False, True]
    return None


def _containing(
    schema: Schema, contains: Schema, item: Generator, items: Any, name: str, low: int, high: int
) -> Generator:
    """An array with between `minContains` (1) and `maxContains` items matching `contains`
    (built from `items` and `contains` together); the others are checked not to match it
    where `maxContains` counts them."""
    at_least = int(schema.get("minContains", 1))
    at_most: int | None = schema.get("maxContains")
    hit = compile_generator(merge_all_of({"allOf": [items if isinstance(items, dict) else {}, contains]}), name)
    is_hit = fallback.node_validator(contains) if at_most is not None else None
    low, high = max(low, at_least), max(high, at_least)

    def generate(ctx: GenContext) -> JSON:
        rng = ctx.rng
        count = rng.randint(low, high)
        hits = rng.randint(at_least, max(at_least, min(count, at_most if at_most is not None else count)))
        out = [hit(ctx) for _ in range(hits)]
        for _ in range(count - hits):
            value = item(ctx)
            for _ in range(3):
                if is_hit is None or not is_hit(value):
                    break
                value = item(ctx)
            if is_hit is None or not is_hit(value) or len(out) < low:
                out.append(value)
        rng.shuffle(out)
        return out

    return generate


def _string(schema: Schema, name: str) -> Generator:
    fmt = schema.get("format")
    low = int(schema.get("minLength", 0))
    high = schema.get("maxLength")
    if "pattern" in schema:
        return _pattern(schema, name, low, high)
    if _is_datetime(schema, name):
        pick = _datetime(time_rank(name))
        if low == 0 and high is None:
            return pick
        return _fitted(lambda ctx: str(pick(ctx)), "date-time", low, high, schema)
    by_name = realism.string_for(name, fmt)
    if low == 0 and high is None:
        return lambda ctx: by_name(ctx.rng)
    return _fitted(lambda ctx: str(by_name(ctx.rng)), fmt, low, high, schema)


def _fitted(pick: Callable[[GenContext], str], fmt: Any, low: int, high: int | None, schema: Schema) -> Generator:
    """Values of `pick` brought within `minLength`..`maxLength` the way their format allows
    (see `realism.fit`), drawn again while a format check refuses them."""
    check = fallback.node_validator(_string_part(schema)) if fmt else None

    def generate(ctx: GenContext) -> JSON:
        value = realism.fit(pick(ctx), fmt, low, high, ctx.rng)
        for _ in range(3):
            if check is None or check(value):
                break
            value = realism.fit(pick(ctx), fmt, low, high, ctx.rng)
        return value

    return generate


def _string_part(schema: Schema) -> Schema:
    keys = ("format", "pattern", "minLength", "maxLength")
    return {"type": "string", **{k: schema[k] for k in keys if k in schema}}


def _datetime(rank: int | None) -> Generator:
    def generate(ctx: GenContext) -> JSON:
        if rank is not None and ctx.timeline is not None:
            return realism.format_datetime(ctx.timeline[rank])
        return realism.format_datetime(ctx.now - ctx.rng.uniform(0.0, 30 * _DAY))

    return generate


def _pattern(schema: Schema, name: str, low: int, high: int | None) -> Generator:
    """A string matching `pattern`: the realistic value for the name and format when it does
    (an id, a date, a word), else one built from the pattern, checked with the schema's own
    format and lengths."""
    pattern = schema["pattern"]
    try:
        re.compile(pattern)
    except re.error:
        return lambda ctx: "x" * low
    fmt = schema.get("format")
    check = fallback.node_validator(_string_part(schema))
    if check is None:
        return lambda ctx: "x" * low
    by_name = realism.string_for(name, fmt)
    pick: Callable[[GenContext], JSON] = _datetime(time_rank(name)) if fmt == "date-time" else lambda c: by_name(c.rng)
    probe = [pick(GenContext(random.Random(seed), _PROBE_NOW)) for seed in range(4)]
    realistic = sum(check(value) for value in probe) >= 2
    # (floor, limit) of repeats, try by try: the lengths asked for, then more freedom.
    tries = [(low, high or max(8, low))] * 3 + [(0, high or max(32, low))] * 3 + [(0, max(100, low))] * 3

    def generate(ctx: GenContext) -> JSON:
        if realistic:
            for _ in range(3):
                value = pick(ctx)
                if check(value):
                    return value
        value = ""
        for floor, limit in tries:
            value = realism.Xeger(ctx.rng, limit, floor).xeger(pattern)
            if check(value):
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


# What fresh contexts draw from: one generator seeded from the OS, not one per request
# (seeding a Mersenne Twister costs about 7 us); a forked child reseeds its own.
_FRESH = random.Random()
os.register_at_fork(after_in_child=_FRESH.seed)


def seeded_context(seed_parts: tuple[Any, ...], now: float, status: int = 200) -> GenContext:
    """A context whose RNG is derived from `seed_parts` only (no global random state)."""
    return GenContext(None, now, status, seed=repr(seed_parts))


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
        return GenContext(rng=_FRESH, now=self.epoch, status=status)


def day_anchor(now: float) -> float:
    """The start of the UTC day that `now` lies in."""
    return float(int(now) // int(_DAY) * int(_DAY))

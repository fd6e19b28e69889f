"""The keys of a generated object beyond its declared properties, and the keys that bring
others: what `propertyNames`, `patternProperties`, `dependentRequired` and `dependentSchemas`
ask of an object, compiled once per object schema by `generator._object`.

An object the schema leaves open gets realistic keys (`source`, `priority`, ...) where its
`propertyNames` and `additionalProperties` allow them, else keys `propertyNames` lists, else
keys built from its patterns, each checked against `propertyNames`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mockserver import fallback, realism
from mockserver.types import JSON, IsValid, Schema

if TYPE_CHECKING:
    from mockserver.generator import GenContext, Generator

Compile = Callable[[Schema, str], "Generator"]
FreeKeys = Callable[["GenContext", int], dict[str, JSON]]
FREE_FORM = {"source": "web", "priority": "normal", "channel": "email", "locale": "en-US", "team": "growth"}


def _realistic(name: str) -> Generator:
    pick = realism.string_for(name, None)
    return lambda ctx: pick(ctx.rng)


def with_dependents(keys: list[str], needs: dict[str, list[str]]) -> list[str]:
    """`keys` and every key they require in turn by `dependentRequired`."""
    out = list(keys)
    for key in out:  # grows while it is walked
        out.extend(k for k in needs.get(key, []) if k not in out)
    return out


def add_dependents(
    out: dict[str, JSON],
    needs: dict[str, list[str]],
    by_key: dict[str, Generator],
    required: list[str],
    max_props: int | None,
    ctx: GenContext,
) -> None:
    """`dependentRequired`: each key present brings the keys it requires, or, when there is no
    room for them (`maxProperties`) or no way to build them, is left out itself."""
    for key in [k for k in needs if k in out]:
        missing = with_dependents([k for k in needs[key] if k not in out], needs)
        missing = [k for k in missing if k not in out]
        room = max_props is None or len(out) + len(missing) <= max_props
        if room and all(k in by_key for k in missing):
            out.update({k: by_key[k](ctx) for k in missing})
        elif key not in required:
            del out[key]


def dependent_checks(dependent: Any, properties: dict[str, Schema]) -> list[tuple[str, IsValid]]:
    if not isinstance(dependent, dict):
        return []
    checks = []
    for key, sub in dependent.items():
        if key in properties and isinstance(sub, dict):
            check = fallback.node_validator(sub)
            if check is not None:
                checks.append((key, check))
    return checks


def names_check(names: Any) -> IsValid | None:
    """Whether a key is allowed by `propertyNames` (None: every key is)."""
    if not isinstance(names, dict | bool) or names is True or names == {}:
        return None
    if names is False:
        return lambda key: False
    return fallback.node_validator(names)


def pattern_properties(found: Any, compile: Compile) -> list[tuple[str, Generator]]:
    """(pattern, value generator) for each `patternProperties` entry whose pattern Python reads."""
    out = []
    for pattern, sub in (found or {}).items():
        try:
            re.compile(pattern)
        except re.error:
            continue
        if sub is not False:
            out.append((pattern, compile(sub if isinstance(sub, dict) else {}, "")))
    return out


def undeclared(key: str, patterns: list[tuple[str, Generator]], extra_gen: Generator | None) -> Generator:
    """A required key the schema does not declare: valued by the pattern it matches, else by
    `additionalProperties`, else a realistic string."""
    for pattern, value_gen in patterns:
        if re.search(pattern, key):
            return value_gen
    return extra_gen if extra_gen is not None else _realistic(key)


def free_keys(
    schema: Schema,
    names_ok: IsValid | None,
    patterns: list[tuple[str, Generator]],
    extra: Any,
    extra_gen: Generator | None,
    declared: set[str],
    compile: Compile,
) -> FreeKeys:
    """Where the keys of an object the schema leaves open come from: the names `propertyNames`
    lists, else realistic names it allows, else names made from its patterns."""
    key_names = _key_names(schema.get("propertyNames"))
    if key_names is not None and (key_names or names_ok is None):
        options = [k for k in key_names if k not in declared]

        def listed(ctx: GenContext, count: int) -> dict[str, JSON]:
            keys = ctx.rng.sample(options, max(0, min(count, len(options))))
            return {key: _free_value(key, patterns, extra_gen, ctx) for key in keys}

        return listed
    realistic = [k for k in FREE_FORM if k not in declared and (names_ok is None or names_ok(k))]
    realistic = [k for k in realistic if extra is not False or any(re.search(p, k) for p, _ in patterns)]
    names_schema = schema.get("propertyNames")
    name_gen = _key_generator(names_schema, compile) if names_ok is not None else None
    pattern_keys = [(_pattern_key(p), g) for p, g in patterns]

    def made(ctx: GenContext, count: int) -> dict[str, JSON]:
        rng = ctx.rng
        out: dict[str, JSON] = {}
        keys = rng.sample(realistic, min(max(count, 0), len(realistic)))
        out.update({key: _free_value(key, patterns, extra_gen, ctx) for key in keys})
        for attempt in range(4 * max(count, 0)):
            if len(out) >= count:
                break
            if pattern_keys and (extra is False or name_gen is None or attempt % 2):
                make_key, value_gen = pattern_keys[attempt % len(pattern_keys)]
                key = make_key(ctx)
            elif name_gen is not None:
                key, value_gen = str(name_gen(ctx)), extra_gen or _realistic("")
            else:
                key, value_gen = f"key_{len(out)}", extra_gen or (lambda ctx: "value")
            if key not in out and key not in declared and (names_ok is None or names_ok(key)):
                out[key] = value_gen(ctx)
        return out

    return made


def _free_value(key: str, patterns: list[tuple[str, Generator]], extra_gen: Generator | None, ctx: GenContext) -> JSON:
    if patterns or extra_gen is not None:
        return undeclared(key, patterns, extra_gen)(ctx)
    return FREE_FORM.get(key, "value")


def _key_generator(names: Any, compile: Compile) -> Generator:
    """Keys built from a `propertyNames` schema (a pattern, lengths)."""
    schema = {**names, "type": "string"} if isinstance(names, dict) else {"type": "string"}
    return compile(schema, "key")


def _pattern_key(pattern: str) -> Generator:
    """Keys matching `pattern`, with a word after what it asks for where it allows one
    (`^x-` gives `x-budget`)."""

    def generate(ctx: GenContext) -> JSON:
        key = str(realism.Xeger(ctx.rng, 8).xeger(pattern))
        longer = key + realism.string_for("", None)(ctx.rng)
        return longer if re.search(pattern, longer) else key

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

"""The slower ways to a valid value, for schema nodes the fast generator only approximates.

`generator` compiles a node with a keyword it cannot honour by construction (`oneOf`'s
exclusivity, `not`, `if`/`then`/`else`, `dependentSchemas`, `contains`, `uniqueItems`,
`propertyNames`, ...) into a guard: the fast value when it validates against the node (it
usually does), else a value of the node's `canonical_form`, else one of a small `pool` of
valid values found once with fixed seeds. The slower ones are built when first needed (at
start-up, when the one value drawn then fails) and kept in the guard: each schema pays once.

The canonical form is jsonschema_rs's own (`canonicalize`, the engine Schemathesis 4 builds its
strategies on): `if`/`then`/`else`, `dependentRequired` and `oneOf` become `anyOf`s of disjoint
branches, `allOf` is folded, `not` is pushed inwards, bounds are intersected. It keeps no
annotations, so a property the answer must not show (`writeOnly`, or `readOnly` in a request)
is ruled out before the schema is canonicalised.
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import jsonschema_rs
from jsonschema_rs import canonical

from mockserver.adapter import flagged
from mockserver.schemas import validator as schema_validator
from mockserver.types import JSON, IsValid, Schema

if TYPE_CHECKING:
    from mockserver.generator import GenContext, Generator

log = logging.getLogger("mockserver")
_CANONICAL_LIMIT = 200_000  # characters of a canonical form worth compiling (cases can multiply)


def guard(
    fast: Generator,
    is_valid: IsValid,
    slow: Callable[[], Generator | None],
    draw: Callable[[Generator, int], JSON],
    fast_tries: int = 3,
    slow_tries: int = 6,
) -> Generator:
    """`fast`'s value when `is_valid` takes it (within `fast_tries`), else one of the generator
    `slow` builds on first need (within `slow_tries`), else one of a `pool` drawn once from both
    with fixed seeds (`draw(generator, seed)`); the last value tried when the pool is empty."""
    built: list[Generator | None] = []
    found: list[list[JSON]] = []

    def slow_generator() -> Generator | None:
        if not built:
            built.append(slow())
        return built[0]

    def pooled() -> list[JSON]:
        if not found:
            sources = [g for g in (fast, slow_generator()) if g is not None]
            found.append(pool([functools.partial(draw, g) for g in sources], is_valid))
        return found[0]

    def generate(ctx: GenContext) -> JSON:
        value = fast(ctx)
        for _ in range(fast_tries - 1):
            if is_valid(value):
                return value
            value = fast(ctx)
        if is_valid(value):
            return value
        other = slow_generator()
        for _ in range(slow_tries if other is not None else 0):
            value = other(ctx)  # type: ignore[misc]
            if is_valid(value):
                return value
        values = pooled()
        return copy.deepcopy(ctx.rng.choice(values)) if values else value

    return generate


def node_validator(schema: Schema, hidden: str | None = None) -> IsValid | None:
    """Validity of a value of `schema` as the generator means it (formats checked; a `hidden`
    property is never generated, so never required); None when the node cannot be validated
    on its own (an unresolvable `$ref`, an invalid pattern)."""
    try:
        return schema_validator(without_hidden(schema, hidden), validate_formats=True).is_valid
    except (ValueError, jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError):
        return None


def canonical_form(schema: Schema, hidden: str | None) -> Schema | None:
    """`schema` in jsonschema_rs's canonical form, `hidden` properties ruled out; None when it
    admits no value, cannot be canonicalised, or grows too large to be worth compiling."""
    try:
        return _plain(_canonicalize(without_hidden(schema, hidden)))
    except Exception:  # the canonical engine's errors: unsupported operands, unresolvable refs
        return None


def exclusive_forms(branches: list[Schema], hidden: str | None) -> list[Schema | None] | None:
    """For each branch of a `oneOf`, the canonical form of what it admits and no other branch
    does (None for a branch that admits nothing of its own); None when they cannot be made."""
    try:
        forms = [
            jsonschema_rs.canonicalize(without_hidden(b, hidden), draft=20, validate_formats=True) for b in branches
        ]
        out: list[Schema | None] = []
        for index, form in enumerate(forms):
            for other in forms[:index] + forms[index + 1 :]:
                form = form.subtract(other)
            out.append(_plain(form))
    except Exception:  # the canonical engine's errors: unsupported operands, unresolvable refs
        return None
    return out


def _canonicalize(schema: Schema) -> jsonschema_rs.CanonicalSchema:
    return jsonschema_rs.canonicalize(schema, draft=20, validate_formats=True)


def _plain(form: jsonschema_rs.CanonicalSchema) -> Schema | None:
    if form.kind is canonical.CanonicalKind.RAW or form.satisfiability() is canonical.Satisfiability.NO:
        return None
    out = form.to_json_schema()
    if not isinstance(out, dict) or len(repr(out)) > _CANONICAL_LIMIT:
        return None
    out.pop("$schema", None)
    return out


def without_hidden(schema: Any, hidden: str | None) -> Any:
    """`schema` with each `hidden` property, at any depth, neither required nor allowed: the
    value the generator builds (which leaves them out) is what is judged."""
    if hidden is None or not isinstance(schema, dict):
        return schema
    out = dict(schema)
    properties = schema.get("properties")
    if isinstance(properties, dict):
        gone = {key for key, sub in properties.items() if flagged(sub, hidden)}
        out["properties"] = {
            key: False if key in gone else without_hidden(sub, hidden) for key, sub in properties.items()
        }
        if gone and isinstance(schema.get("required"), list):
            out["required"] = [key for key in schema["required"] if key not in gone]
    for key in ("items", "additionalProperties", "not", "if", "then", "else", "contains"):
        if isinstance(schema.get(key), dict):
            out[key] = without_hidden(schema[key], hidden)
    for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
        if isinstance(schema.get(key), list):
            out[key] = [without_hidden(sub, hidden) for sub in schema[key]]
    return out


def pool(draws: Sequence[Callable[[int], JSON]], is_valid: IsValid, size: int = 8, tries: int = 48) -> list[JSON]:
    """Up to `size` distinct valid values drawn once, with fixed seeds, from `draws` in turn:
    what a guard answers when neither of its generators found a valid value in time."""
    values: list[JSON] = []
    for seed in range(tries):
        value = draws[seed % len(draws)](seed)
        if is_valid(value) and value not in values:
            values.append(value)
            if len(values) >= size:
                break
    return values


def describe(schema: Any, limit: int = 160) -> str:
    text = repr(schema)
    return text if len(text) <= limit else text[:limit] + "..."


def warn_unsatisfied(name: str, schema: Schema) -> None:
    """The start-up warning for a node no value was found for: answers built from it will be
    refused by the mock's own check (a logged 500) until the schema is fixed."""
    where = f"property {name!r}" if name else "a schema"
    log.warning("mockserver: found no value valid against %s: %s", where, describe(schema))

"""Routing: unknown path -> 404, undeclared method -> 405 with the allowed methods.

The raw (percent-encoded) path is split on `/` before each segment is decoded, so a path
parameter may hold any character, `/` included, and a literal segment matches however a
client encodes it. Templates are compiled once, and the outcome of a path matched before is
remembered (a bounded number of them).

As OpenAPI specifies, the path is matched first and the method second: a concrete segment
wins over a templated one, compared from the left (`/things/latest` before `/things/{id}`,
`/a/b/{x}` before `/a/{y}/c`), and a method the winning path does not declare is a 405 whose
`Allow` lists that path's methods (plus HEAD where it has GET), even when a less specific
template declares the method. Templates that differ only in their parameter names are one
path (OpenAPI forbids them; documents have them), so their methods are pooled.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import unquote

T = TypeVar("T")

_PARAM = re.compile(r"\{([^{}/]+)\}")
_SEEN_MAX, _SEEN_PATH = 4096, 256


@dataclass(frozen=True, slots=True)
class RouteMatch(Generic[T]):
    target: T
    path_params: dict[str, str]


@dataclass(frozen=True, slots=True)
class MethodNotAllowed:
    allow: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Segment:
    literal: str | None  # a decoded literal segment, or None for one holding parameters
    pattern: re.Pattern[str] | None
    names: tuple[str, ...]


@dataclass(slots=True)
class _Route(Generic[T]):
    template: str
    segments: tuple[_Segment, ...]
    raw: re.Pattern[str]  # the whole template, for paths without percent-escapes (the common case)
    names: tuple[str, ...]
    methods: dict[str, T]
    # Sorts the more specific first: per segment from the left, a literal (0) before a
    # segment mixing text and parameters (1) before a bare parameter (2).
    specificity: tuple[int, ...] = ()

    def target(self, method: str) -> T | None:
        """The target of `method` on this path; HEAD falls back to GET."""
        target = self.methods.get(method)
        return self.methods.get("GET") if target is None and method == "HEAD" else target

    def params(self, values: list[str]) -> dict[str, str] | None:
        return self.params_of(values) if len(values) == len(self.segments) else None

    def params_of(self, values: list[str]) -> dict[str, str] | None:
        """The parameters in the first `len(values)` segments, if those match."""
        found: dict[str, str] = {}
        for segment, value in zip(self.segments, values, strict=False):
            if segment.literal is not None:
                if segment.literal != value:
                    return None
                continue
            assert segment.pattern is not None
            matched = segment.pattern.fullmatch(value)
            if matched is None:
                return None
            found.update(zip(segment.names, matched.groups(), strict=True))
        return found


class Router(Generic[T]):
    """Maps (method, raw path) to a target registered with `add`."""

    def __init__(self) -> None:
        self._by_length: dict[int, list[_Route[T]]] = {}
        self._templates: dict[str, _Route[T]] = {}
        # The outcome of paths matched before (clients ask for the same paths again and again):
        # `_SEEN_MAX` of them, up to `_SEEN_PATH` characters long, forgotten all at once when full.
        self._seen: dict[tuple[str, str], RouteMatch[T] | MethodNotAllowed | None] = {}

    def add(self, template: str, method: str, target: T) -> None:
        """Register `target` for (method, template); the first registration of a pair stays."""
        route = self._templates.get(template)
        if route is None:
            segments = _compile(template)
            names = tuple(name for segment in segments for name in segment.names)
            specificity = tuple(_rank(segment) for segment in segments)
            route = _Route(template, segments, _compile_raw(template), names, {}, specificity)
            self._templates[template] = route
            bucket = self._by_length.setdefault(len(route.segments), [])
            bucket.append(route)
            bucket.sort(key=lambda r: r.specificity)
        route.methods.setdefault(method.upper(), target)
        self._seen.clear()

    def match(self, method: str, raw_path: str) -> RouteMatch[T] | MethodNotAllowed | None:
        """The target of `method` at `raw_path` with its path parameters (a dict of its own),
        405 with the path's methods, or None."""
        key = (method, raw_path)
        try:
            found = self._seen[key]
        except KeyError:
            found = self._match(method, raw_path)
            if len(raw_path) <= _SEEN_PATH:
                if len(self._seen) >= _SEEN_MAX:
                    self._seen.clear()
                self._seen[key] = found
        if isinstance(found, RouteMatch):  # each request gets its own parameters
            return RouteMatch(found.target, found.path_params.copy())
        return found

    def _match(self, method: str, raw_path: str) -> RouteMatch[T] | MethodNotAllowed | None:
        escaped = "%" in raw_path
        values = [unquote(part) for part in raw_path.split("/")] if escaped else []
        allow: set[str] = set()
        winner: tuple[int, ...] | None = None
        for route in self._by_length.get(raw_path.count("/") + 1, ()):
            if winner is not None and route.specificity != winner:
                break  # the path matched; a less specific template does not get its methods
            if escaped:
                params = route.params(values)
            else:
                found = route.raw.fullmatch(raw_path)
                params = dict(zip(route.names, found.groups(), strict=True)) if found else None
            if params is None:
                continue
            winner = route.specificity
            target = route.target(method)
            if target is not None:
                return RouteMatch(target, params)
            allow.update(route.methods)
        return _not_allowed(allow) if allow else None

    def match_prefix(
        self, method: str, raw_prefix: str, alike: Callable[[T, T], bool] = operator.is_
    ) -> RouteMatch[T] | MethodNotAllowed | None:
        """`match` for a path known only by its beginning (the part of a request line a server
        read before its limit): the first target of the templates such a path could match that
        have `method`, when all of those targets are `alike` it; 405 when some could match and
        none has the method; else None (none could, or it is not known which). A template could
        match when its first segments are the whole ones read, and the last, partial one
        begins a literal segment or lies in a parameter's."""
        *whole, partial = [unquote(part) for part in raw_prefix.split("/")]
        targets: list[T] = []
        allow: set[str] = set()
        for length, routes in self._by_length.items():
            for route in routes if length > len(whole) else ():
                last = route.segments[len(whole)]
                if route.params_of(whole) is None or not (last.literal is None or last.literal.startswith(partial)):
                    continue
                target = route.target(method)
                if target is not None:
                    targets.append(target)
                allow.update(route.methods)
        if targets and all(alike(targets[0], other) for other in targets[1:]):
            return RouteMatch(targets[0], {})
        return _not_allowed(allow) if allow and not targets else None


def _not_allowed(allow: set[str]) -> MethodNotAllowed:
    """A 405 listing `allow`, with HEAD where GET is there."""
    return MethodNotAllowed(tuple(sorted(allow | {"HEAD"} if "GET" in allow else allow)))


def _rank(segment: _Segment) -> int:
    if segment.literal is not None:
        return 0
    assert segment.pattern is not None
    return 2 if segment.pattern.pattern == "(.+?)" else 1


def _compile(template: str) -> tuple[_Segment, ...]:
    segments = []
    for part in template.split("/"):
        names = tuple(_PARAM.findall(part))
        if not names:
            segments.append(_Segment(unquote(part), None, ()))
            continue
        pieces = _PARAM.split(part)  # literal, name, literal, name, ..., literal
        regex = "".join(re.escape(piece) if i % 2 == 0 else "(.+?)" for i, piece in enumerate(pieces))
        segments.append(_Segment(None, re.compile(regex, re.DOTALL), names))
    return tuple(segments)


def _compile_raw(template: str) -> re.Pattern[str]:
    pieces = _PARAM.split(template)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else "([^/]+?)" for i, p in enumerate(pieces)), re.DOTALL)

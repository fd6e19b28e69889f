"""Routing on the raw request path: unknown path -> 404, undeclared method -> 405.

Matching uses the raw (still percent-encoded) path so that a path parameter may contain
any character, `/` included; each captured value is decoded afterwards. Templates are
compiled to regular expressions once and bucketed by their first literal segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import unquote

T = TypeVar("T")

_PARAM = re.compile(r"\{([^{}/]+)\}")


@dataclass(frozen=True, slots=True)
class RouteMatch(Generic[T]):
    target: T
    path_params: dict[str, str]


@dataclass(frozen=True, slots=True)
class MethodNotAllowed:
    allow: tuple[str, ...]


NOT_FOUND = None


@dataclass(frozen=True, slots=True)
class _Route(Generic[T]):
    template: str
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    methods: dict[str, T]


class Router(Generic[T]):
    """Maps (method, raw path) to a target registered with `add`."""

    def __init__(self) -> None:
        self._by_segment: dict[str, list[_Route[T]]] = {}
        self._wild: list[_Route[T]] = []
        self._templates: dict[str, _Route[T]] = {}

    def add(self, template: str, method: str, target: T) -> None:
        route = self._templates.get(template)
        if route is None:
            route = _compile(template)
            self._templates[template] = route
            first = template.lstrip("/").split("/", 1)[0]
            if "{" in first:
                self._wild.append(route)
            else:
                self._by_segment.setdefault(first, []).append(route)
        route.methods[method.upper()] = target

    def match(self, method: str, raw_path: str) -> RouteMatch[T] | MethodNotAllowed | None:
        first = raw_path.lstrip("/").split("/", 1)[0]
        for route in (*self._by_segment.get(first, ()), *self._wild):
            found = route.pattern.fullmatch(raw_path)
            if found is None:
                continue
            target = route.methods.get(method)
            if target is None and method == "HEAD":
                target = route.methods.get("GET")
            if target is None:
                return MethodNotAllowed(tuple(sorted(route.methods)))
            params = {name: unquote(value) for name, value in zip(route.names, found.groups(), strict=True)}
            return RouteMatch(target, params)
        return NOT_FOUND


def _compile(template: str) -> _Route[T]:
    names: list[str] = []
    pattern = ""
    position = 0
    for found in _PARAM.finditer(template):
        pattern += re.escape(template[position : found.start()]) + "([^/]+)"
        names.append(found.group(1))
        position = found.end()
    pattern += re.escape(template[position:])
    return _Route(template, re.compile(pattern), tuple(names), {})

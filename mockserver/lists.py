"""List answers: a collection's items, filtered and paged as the operation's query
parameters say, inside the list's own shape with pagination fields that agree with it.

`compile_listing` reads, once, which declared query parameters page (`limit`, `offset`,
`page`, `cursor`, `after`, ...) and which filter on an item field, and where the envelope
keeps its items and its pagination fields (`has_more`, `next_cursor`, `total`,
`first_id`/`last_id`, also one level down as in `meta.total`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mockserver.model import ListShape, object_view
from mockserver.schemas import validator as schema_validator
from mockserver.state import Items
from mockserver.types import JSON, IsValid, Schema

_LIMIT = ("limit", "per_page", "page_size", "pagesize", "perpage", "size", "max_results", "maxresults", "top", "first")
_OFFSET = ("offset", "skip", "start")
_PAGE = ("page", "page_number", "pagenumber")
_CURSOR = ("cursor", "after", "starting_after", "page_token", "pagetoken", "next_token", "continuation_token")
_FIELDS: dict[str, tuple[str, ...]] = {
    "has_more": ("has_more", "hasmore", "more", "has_next", "hasnext", "has_next_page", "hasnextpage"),
    "total": ("total", "total_count", "totalcount", "count", "total_items", "totalitems", "total_results"),
    "cursor": ("next_cursor", "nextcursor", "next", "next_page_token", "nextpagetoken", "next_token", "cursor"),
    "first_id": ("first_id", "firstid"),
    "last_id": ("last_id", "lastid"),
    "page": ("page", "page_number", "current_page"),
    "size": ("per_page", "page_size", "limit", "pagesize", "perpage"),
    "offset": ("offset",),
}
DEFAULT_PAGE_SIZE = 20


def _norm(name: str) -> str:
    return name.lower().lstrip("$").replace("-", "_")


@dataclass(frozen=True, slots=True)
class Page:
    items: list[JSON]
    ids: list[str]  # the items' ids in the store
    total: int
    offset: int
    size: int
    page: int | None
    has_more: bool
    cursor: str | None


@dataclass(frozen=True, slots=True)
class _Slot:
    path: tuple[str, ...]
    meaning: str
    is_valid: IsValid
    nullable: bool
    required: bool


@dataclass(frozen=True)
class Listing:
    shape: ListShape
    limit_param: str | None
    default_size: int | None
    offset_param: str | None
    page_param: str | None
    page_base: int
    cursor_param: str | None
    filters: tuple[tuple[str, str], ...]  # (query parameter, item field)
    slots: tuple[_Slot, ...]
    max_items: int | None

    def window(self, query: Mapping[str, str]) -> tuple[int, int] | None:
        """The run of the collection (start, stop) that the page `query` asks for can come
        from, where that is known before the collection's length: None where a filter or a
        cursor needs every item, or an unbounded page is the whole list."""
        if any(parameter in query for parameter, _ in self.filters):
            return None
        if self.cursor_param and query.get(self.cursor_param):
            return None
        size = self._size(query, None)
        if size is None:
            return None
        start = self._start(query, size)[0]
        return start, start + size

    def page_of(self, items: Sequence[tuple[str, JSON]], query: Mapping[str, str]) -> Page:
        """The items of one page, by the request's paging and filtering parameters (of
        `items`, only the run `window` names is read where it names one)."""
        selected: Sequence[tuple[str, JSON]] = items  # read item by item: a page decodes only its items
        for parameter, name in self.filters:
            if parameter in query:
                wanted = query[parameter]
                selected = [(i, v) for i, v in selected if isinstance(v, dict) and _text(v.get(name)) == wanted]
        total = len(selected)
        size = self._size(query, total)
        assert size is not None  # (a known total bounds it)
        start, page = self._start(query, size)
        if self.cursor_param and query.get(self.cursor_param):
            after = query[self.cursor_param]
            ids = selected.ids() if isinstance(selected, Items) else [i for i, _ in selected]
            start = ids.index(after) + 1 if after in ids else total
        chunk = selected[start : start + size]
        more = start + len(chunk) < total
        cursor = chunk[-1][0] if more and chunk else None
        shown_page = page if page is not None else (start // size + self.page_base if size else self.page_base)
        return Page([v for _, v in chunk], [i for i, _ in chunk], total, start, size, shown_page, more, cursor)

    def _size(self, query: Mapping[str, str], total: int | None) -> int | None:
        """The page size `query` asks for; without a limit the default, else `total` (None: not known)."""
        size = _int(query.get(self.limit_param)) if self.limit_param else None
        if size is None:
            size = self.default_size if self.default_size is not None else total
        if size is None:
            return None
        if self.max_items is not None:
            size = min(size, self.max_items)
        return max(size, 0)

    def _start(self, query: Mapping[str, str], size: int) -> tuple[int, int | None]:
        """Where the page starts by its offset or page number, and the page number sent."""
        offset = _int(query.get(self.offset_param)) if self.offset_param else None
        page = _int(query.get(self.page_param)) if self.page_param else None
        if offset is None and page is not None:
            offset = max(page - self.page_base, 0) * size
        return max(offset or 0, 0), page

    def envelope(self, answer: JSON, page: Page, items: list[JSON], ids: list[str]) -> JSON:
        """`answer` (generated from the list schema) holding `items`, its pagination fields set."""
        if self.shape.items_key is None:
            return items
        if not isinstance(answer, dict):
            return answer
        answer[self.shape.items_key] = items
        values: dict[str, JSON] = {
            "has_more": page.has_more,
            "total": page.total,
            "cursor": page.cursor,
            "first_id": ids[0] if ids else None,
            "last_id": ids[-1] if ids else None,
            "page": page.page,
            "size": page.size,
            "offset": page.offset,
        }
        for slot in self.slots:
            holder: JSON = answer
            for key in slot.path[:-1]:
                holder = holder.get(key) if isinstance(holder, dict) else None
            if not isinstance(holder, dict):
                continue
            value = values[slot.meaning]
            if slot.is_valid(value):
                holder[slot.path[-1]] = value
            elif value is None and not slot.required:
                holder.pop(slot.path[-1], None)
        return answer


def _text(value: JSON) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _int(raw: str | None) -> int | None:
    if raw is None or not (raw.isascii() and raw.lstrip("-").isdigit()) or len(raw) > 18:
        return None
    return int(raw)


def compile_listing(
    shape: ListShape, parameters: Sequence[tuple[str, Schema]], item_schema: Schema | None, list_schema: Schema | None
) -> Listing:
    """`parameters` are the operation's query parameters as (name, schema)."""
    limit = offset = page = cursor = None
    default_size: int | None = None
    page_base = 1
    filters: list[tuple[str, str]] = []
    fields = set(((object_view(item_schema) or {}).get("properties") or {}).keys())
    for name, schema in parameters:
        norm = _norm(name)
        if norm in _LIMIT and limit is None:
            limit = name
            default = schema.get("default")
            maximum = schema.get("maximum")
            if isinstance(default, int) and not isinstance(default, bool) and default > 0:
                default_size = default
            elif isinstance(maximum, int) and not isinstance(maximum, bool):
                default_size = min(maximum, DEFAULT_PAGE_SIZE)
            else:
                default_size = DEFAULT_PAGE_SIZE
        elif norm in _OFFSET and offset is None:
            offset = name
        elif norm in _PAGE and page is None:
            page = name
            minimum = schema.get("minimum", schema.get("default", 1))
            page_base = 0 if minimum == 0 else 1
        elif norm in _CURSOR and cursor is None:
            cursor = name
        elif name in fields:
            filters.append((name, name))
    if page is not None and default_size is None:
        default_size = DEFAULT_PAGE_SIZE
    list_view = list_schema if shape.items_key is None else object_view(list_schema)
    max_items = _max_items(list_view, shape.items_key)
    return Listing(
        shape=shape,
        limit_param=limit,
        default_size=default_size,
        offset_param=offset,
        page_param=page,
        page_base=page_base,
        cursor_param=cursor,
        filters=tuple(filters),
        slots=tuple(_slots(list_view, shape.items_key)) if shape.items_key is not None else (),
        max_items=max_items,
    )


def _max_items(view: Schema | None, items_key: str | None) -> int | None:
    if view is None:
        return None
    array = view if items_key is None else (view.get("properties") or {}).get(items_key) or {}
    maximum = array.get("maxItems") if isinstance(array, dict) else None
    return maximum if isinstance(maximum, int) else None


def _slots(view: Schema | None, items_key: str | None, prefix: tuple[str, ...] = ()) -> list[_Slot]:
    out: list[_Slot] = []
    if view is None:
        return out
    required = set(view.get("required") or [])
    for name, sub in (view.get("properties") or {}).items():
        if name == items_key or not isinstance(sub, dict):
            continue
        meaning = next((m for m, names in _FIELDS.items() if _norm(name) in names), None)
        if meaning is not None:
            check: Callable[[Any], bool] = schema_validator(sub, validate_formats=True).is_valid
            out.append(_Slot((*prefix, name), meaning, check, check(None), name in required))
        elif not prefix:
            inner = object_view(sub)
            if inner is not None:
                out.extend(_slots(inner, None, (name,)))
    return out

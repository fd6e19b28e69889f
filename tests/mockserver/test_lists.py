"""List answers: `compile_listing` reads the paging and filtering parameters once; `page_of`
picks the page's items, `envelope` writes them and the pagination fields into the answer."""

from __future__ import annotations

from typing import Any

from mockserver.lists import DEFAULT_PAGE_SIZE, Listing, compile_listing
from mockserver.model import ListShape
from mockserver.state import Decoded, Window, encode
from mockserver.types import JSON

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
BOOL: Schema = {"type": "boolean"}
ITEM: Schema = {"type": "object", "properties": {"id": STR, "status": STR, "rank": INT}}


def items(count: int) -> list[tuple[str, JSON]]:
    return [(f"i{n}", {"id": f"i{n}", "status": "open" if n % 3 else "done", "rank": n}) for n in range(count)]


def ids(values: list[JSON]) -> list[str]:
    return [v["id"] for v in values if isinstance(v, dict)]


def bare(parameters: list[tuple[str, Schema]], list_schema: Schema | None = None) -> Listing:
    schema = list_schema or {"type": "array", "items": ITEM}
    return compile_listing(ListShape(ITEM, None), parameters, ITEM, schema)


def enveloped(properties: dict[str, Schema], parameters: list[tuple[str, Schema]], **extra: Any) -> Listing:
    schema: Schema = {"type": "object", "properties": {"data": {"type": "array", "items": ITEM}, **properties}, **extra}
    return compile_listing(ListShape(ITEM, "data"), parameters, ITEM, schema)


def test_limit_and_offset() -> None:
    listing = bare([("limit", INT), ("offset", INT)])
    page = listing.page_of(items(10), {"limit": "3", "offset": "2"})
    assert ids(page.items) == ["i2", "i3", "i4"]
    assert (page.total, page.offset, page.size, page.has_more) == (10, 2, 3, True)
    last = listing.page_of(items(10), {"limit": "3", "offset": "8"})
    assert ids(last.items) == ["i8", "i9"]
    assert last.has_more is False
    assert last.cursor is None
    assert listing.page_of(items(10), {"limit": "3", "offset": "12"}).items == []


def test_skip_is_an_offset() -> None:
    listing = bare([("top", INT), ("skip", INT)])
    assert ids(listing.page_of(items(10), {"top": "2", "skip": "5"}).items) == ["i5", "i6"]


def test_page_one_based() -> None:
    listing = bare([("page", {"type": "integer", "minimum": 1}), ("per_page", INT)])
    assert listing.page_base == 1
    assert ids(listing.page_of(items(10), {"page": "1", "per_page": "4"}).items) == ["i0", "i1", "i2", "i3"]
    second = listing.page_of(items(10), {"page": "2", "per_page": "4"})
    assert ids(second.items) == ["i4", "i5", "i6", "i7"]
    assert (second.page, second.offset, second.has_more) == (2, 4, True)
    assert ids(listing.page_of(items(10), {"page": "3", "per_page": "4"}).items) == ["i8", "i9"]


def test_page_zero_based_by_the_minimum() -> None:
    listing = bare([("page", {"type": "integer", "minimum": 0}), ("page_size", INT)])
    assert listing.page_base == 0
    assert ids(listing.page_of(items(10), {"page": "0", "page_size": "4"}).items) == ["i0", "i1", "i2", "i3"]
    second = listing.page_of(items(10), {"page": "1", "page_size": "4"})
    assert ids(second.items) == ["i4", "i5", "i6", "i7"]
    assert second.page == 1


def test_page_without_a_size_parameter_uses_the_default_size() -> None:
    listing = bare([("page", {"type": "integer", "minimum": 1})])
    assert listing.default_size == DEFAULT_PAGE_SIZE
    second = listing.page_of(items(45), {"page": "2"})
    assert ids(second.items) == [f"i{n}" for n in range(20, 40)]


def test_cursor_gives_the_items_after_that_id() -> None:
    listing = bare([("limit", INT), ("cursor", STR)])
    first = listing.page_of(items(6), {"limit": "2"})
    assert ids(first.items) == ["i0", "i1"]
    assert first.cursor == "i1"
    second = listing.page_of(items(6), {"limit": "2", "cursor": first.cursor or ""})
    assert ids(second.items) == ["i2", "i3"]
    assert second.cursor == "i3"
    third = listing.page_of(items(6), {"limit": "2", "cursor": "i3"})
    assert ids(third.items) == ["i4", "i5"]
    assert (third.has_more, third.cursor) == (False, None)


def test_unknown_cursor_gives_an_empty_page() -> None:
    listing = bare([("limit", INT), ("cursor", STR)])
    page = listing.page_of(items(6), {"limit": "2", "cursor": "nope"})
    assert (page.items, page.has_more, page.cursor) == ([], False, None)


def test_after_and_starting_after_are_cursors() -> None:
    for name in ("after", "starting_after"):
        listing = bare([("limit", INT), (name, STR)])
        assert listing.cursor_param == name
        assert ids(listing.page_of(items(6), {"limit": "3", name: "i1"}).items) == ["i2", "i3", "i4"]


def test_envelope_writes_the_declared_pagination_fields() -> None:
    listing = enveloped(
        {"has_more": BOOL, "total": INT, "next_cursor": STR, "first_id": STR, "last_id": STR},
        [("limit", INT), ("after", STR)],
    )
    page = listing.page_of(items(5), {"limit": "2", "after": "i0"})
    shown = page.items
    answer: JSON = {"data": [], "has_more": False, "total": 0, "next_cursor": "g", "first_id": "g", "last_id": "g"}
    out = listing.envelope(answer, page, shown, ids(shown))
    assert out == {
        "data": shown,
        "has_more": True,
        "total": 5,
        "next_cursor": "i2",
        "first_id": "i1",
        "last_id": "i2",
    }


def test_envelope_leaves_undeclared_fields_alone() -> None:
    listing = enveloped({"has_more": BOOL}, [("limit", INT)])
    page = listing.page_of(items(3), {"limit": "5"})
    out = listing.envelope({"data": [], "has_more": True, "note": "kept"}, page, page.items, ids(page.items))
    assert out == {"data": page.items, "has_more": False, "note": "kept"}


def test_envelope_writes_nested_meta_total() -> None:
    meta: Schema = {"type": "object", "properties": {"total": INT, "page": INT, "per_page": INT}}
    listing = enveloped({"meta": meta}, [("page", INT), ("per_page", INT)])
    page = listing.page_of(items(7), {"page": "2", "per_page": "3"})
    out = listing.envelope({"data": [], "meta": {"total": 0, "page": 9, "per_page": 9}}, page, page.items, [])
    assert out == {"data": page.items, "meta": {"total": 7, "page": 2, "per_page": 3}}
    assert ids(page.items) == ["i3", "i4", "i5"]


def test_total_count_and_count_are_totals() -> None:
    listing = enveloped({"total_count": INT}, [("limit", INT)])
    page = listing.page_of(items(4), {"limit": "1"})
    assert listing.envelope({"data": [], "total_count": 0}, page, page.items, []) == {
        "data": page.items,
        "total_count": 4,
    }


def test_optional_non_nullable_cursor_is_removed_without_a_next_page() -> None:
    listing = enveloped({"next_cursor": STR, "has_more": BOOL}, [("limit", INT), ("cursor", STR)])
    page = listing.page_of(items(3), {"limit": "5"})
    out = listing.envelope({"data": [], "next_cursor": "generated", "has_more": True}, page, page.items, [])
    assert out == {"data": page.items, "has_more": False}


def test_nullable_cursor_is_null_without_a_next_page() -> None:
    listing = enveloped({"next_cursor": {"type": ["string", "null"]}}, [("limit", INT), ("cursor", STR)])
    page = listing.page_of(items(3), {"limit": "5"})
    out = listing.envelope({"data": [], "next_cursor": "generated"}, page, page.items, [])
    assert out == {"data": page.items, "next_cursor": None}


def test_required_non_nullable_cursor_is_kept_without_a_next_page() -> None:
    listing = enveloped({"next_cursor": STR}, [("limit", INT), ("cursor", STR)], required=["data", "next_cursor"])
    page = listing.page_of(items(3), {"limit": "5"})
    out = listing.envelope({"data": [], "next_cursor": "generated"}, page, page.items, [])
    assert out == {"data": page.items, "next_cursor": "generated"}


def test_bare_array_envelope_is_the_items() -> None:
    listing = bare([("limit", INT)])
    page = listing.page_of(items(3), {})
    assert listing.envelope(None, page, ["a", "b"], []) == ["a", "b"]


def test_filters_on_item_fields() -> None:
    listing = bare([("status", STR), ("rank", INT), ("colour", STR)])
    assert listing.filters == (("status", "status"), ("rank", "rank"))
    done = listing.page_of(items(10), {"status": "done"})
    assert ids(done.items) == ["i0", "i3", "i6", "i9"]
    assert done.total == 4
    assert ids(listing.page_of(items(10), {"status": "done", "rank": "6"}).items) == ["i6"]
    assert len(listing.page_of(items(10), {"colour": "red"}).items) == 10


def test_filters_then_pages() -> None:
    listing = bare([("status", STR), ("limit", INT), ("offset", INT)])
    page = listing.page_of(items(10), {"status": "open", "limit": "2", "offset": "2"})
    assert ids(page.items) == ["i4", "i5"]
    assert (page.total, page.has_more) == (6, True)


def test_default_page_size_from_the_limit_default() -> None:
    listing = bare([("limit", {"type": "integer", "default": 5})])
    assert listing.default_size == 5
    page = listing.page_of(items(12), {})
    assert ids(page.items) == ["i0", "i1", "i2", "i3", "i4"]
    assert page.has_more is True


def test_default_page_size_from_a_small_limit_maximum() -> None:
    listing = bare([("limit", {"type": "integer", "maximum": 7})])
    assert listing.default_size == 7
    assert len(listing.page_of(items(12), {}).items) == 7
    assert bare([("limit", {"type": "integer", "maximum": 500})]).default_size == DEFAULT_PAGE_SIZE
    assert bare([("limit", INT)]).default_size == DEFAULT_PAGE_SIZE


def test_without_a_limit_parameter_every_item_is_listed() -> None:
    listing = bare([])
    page = listing.page_of(items(30), {})
    assert len(page.items) == 30
    assert page.has_more is False


def test_max_items_of_a_bare_array_is_respected() -> None:
    listing = bare([("limit", INT)], {"type": "array", "items": ITEM, "maxItems": 2})
    assert listing.max_items == 2
    page = listing.page_of(items(10), {"limit": "10"})
    assert ids(page.items) == ["i0", "i1"]
    assert page.has_more is True


def test_max_items_of_an_envelope_array_is_respected() -> None:
    schema: Schema = {
        "type": "object",
        "properties": {"data": {"type": "array", "items": ITEM, "maxItems": 3}, "has_more": BOOL},
    }
    listing = compile_listing(ListShape(ITEM, "data"), [], ITEM, schema)
    page = listing.page_of(items(10), {})
    assert ids(page.items) == ["i0", "i1", "i2"]
    out = listing.envelope({"data": [], "has_more": False}, page, page.items, [])
    assert out == {"data": page.items, "has_more": True}


def test_a_page_of_a_stored_collection_decodes_only_its_items() -> None:
    """A list of 50 of 100,000 stored items decodes 50 (it decoded all of them: 4 req/s)."""
    stored = [(i, encode(v)) for i, v in items(10)]
    stored[0] = ("i0", b"\xff not JSON: decoding it fails")  # outside every page asked for below
    listing = bare([("limit", INT), ("offset", INT), ("after", STR)])
    assert ids(listing.page_of(Decoded(stored), {"limit": "3", "offset": "2"}).items) == ["i2", "i3", "i4"]
    page = listing.page_of(Decoded(stored), {"limit": "2", "after": "i7"})  # a cursor: ids, not values
    assert ids(page.items) == ["i8", "i9"] and page.total == 10


def test_a_page_s_window_is_the_run_it_reads_or_none_where_it_needs_every_item() -> None:
    """`window` names the run a page comes from; the page of a `Window` of that run alone is
    the page of the whole collection. Filters, cursors and unbounded pages need every item."""
    listing = bare([("limit", INT), ("offset", INT), ("page", INT), ("status", STR), ("after", STR)])
    whole = items(30)
    stored = [(i, encode(v)) for i, v in whole]
    for query, run in [
        ({"limit": "5", "offset": "3"}, (3, 8)),
        ({"limit": "4", "page": "3"}, (8, 12)),
        ({}, (0, DEFAULT_PAGE_SIZE)),
        ({"limit": "10", "offset": "25"}, (25, 35)),
        ({"limit": "0"}, (0, 0)),
    ]:
        assert listing.window(query) == run, query
        windowed = listing.page_of(Window(30, run[0], run[1], stored[run[0] : run[1]]), query)
        assert windowed == listing.page_of(whole, query), query
    assert listing.window({"status": "open", "limit": "5"}) is None
    assert listing.window({"after": "i3"}) is None
    unbounded = bare([("status", STR)])
    assert unbounded.window({}) is None and unbounded.window({"status": "done"}) is None

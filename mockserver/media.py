"""Media types: which declared request media type a `Content-Type` selects, and which
declared answer an `Accept` header chooses (RFC 9110, sections 8.3 and 12.5.1).

A declared media type may be a range (`application/*`, `*/*`, `application/*+json`): it
matches by range, and the most specific declaration wins. `application/json` and the
`+json` types stand for one another (a client sends `application/json` to an operation that
declares `application/merge-patch+json`, or the reverse), but less specifically than an
exact match.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
_MAX_RANGES = 64  # of one Accept header: a 10,000-entry header costs no more than this


@functools.lru_cache(maxsize=512)  # a few types per API, read several times per request
def essence(media_type: str) -> str:
    """`type/subtype`, lower-case, without parameters."""
    return media_type.split(";", 1)[0].strip().lower()


def is_json_media_type(media_type: str) -> bool:
    """JSON or a `+json` type, or `*/*` (which a document uses for "anything", usually JSON)."""
    kind = essence(media_type)
    return kind == "application/json" or kind.endswith("+json") or kind == "*/*"


def is_json_wire(media_type: str) -> bool:
    """Whether a body sent as `media_type` is JSON text."""
    kind = essence(media_type)
    return kind == "application/json" or kind.endswith("+json")


def specificity(kind: str, pattern: str) -> int:
    """How specifically the declared `pattern` matches the concrete `kind` (both essences):
    5 exact, 4 `type/*+json`, 3 JSON for `+json` (or the reverse), 2 `type/*`, 1 `*/*`, 0 no match."""
    if pattern == kind:
        return 5
    main, _, sub = kind.partition("/")
    if pattern.endswith("/*+json") and sub.endswith("+json") and pattern.split("/", 1)[0] in (main, "*"):
        return 4
    if (pattern == "application/json" and kind.endswith("+json")) or (
        pattern.endswith("+json") and "*" not in pattern and kind == "application/json"
    ):
        return 3
    if pattern == f"{main}/*":
        return 2
    if pattern == "*/*":
        return 1
    return 0


@functools.lru_cache(maxsize=1024)
def select_media(content_type: str, declared: tuple[str, ...]) -> str | None:
    """The declared media type that `content_type` selects: the most specific match, the
    first declared on a tie; None if none matches."""
    kind = essence(content_type)
    best, rank = None, 0
    for media_type in declared:
        found = specificity(kind, essence(media_type))
        if found > rank:
            best, rank = media_type, found
    return best


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One entry of an `Accept` header."""

    kind: str  # essence: `type/subtype`, `type/*` or `*/*`
    q: float
    order: int  # position in the header: earlier wins a tie

    def covers(self, kind: str) -> int:
        """How specifically this range accepts the concrete `kind` (0: it does not)."""
        return specificity(kind, self.kind)


def parse_accept(header: str) -> tuple[MediaRange, ...]:
    """The ranges of an `Accept` header; entries that are not media ranges are skipped, and
    a header with none at all accepts anything, as if it were absent."""
    ranges: list[MediaRange] = []
    for order, entry in enumerate(header.split(",")[:_MAX_RANGES]):
        kind, *params = entry.split(";")
        kind = kind.strip().lower()
        main, slash, sub = kind.partition("/")
        if not slash or not main or not sub or (main == "*" and sub != "*"):
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0  # an unreadable weight accepts nothing rather than everything
        ranges.append(MediaRange(kind, q, order))
    return tuple(ranges) or (MediaRange("*/*", 1.0, 0),)


def _served(offer: str, ranges: Sequence[MediaRange]) -> tuple[str, float, int, int] | None:
    """What a declared `offer` would be sent as under `ranges`, and how well that is liked:
    (media type, quality, specificity, order); None if no range accepts it."""
    if "*" not in offer:
        candidates = [offer]
    else:
        # A declared range (`*/*`, `image/*`) is sent as its usual type, or as a concrete
        # type the client names that falls in the range.
        candidates = [concrete(offer)] + [r.kind for r in ranges if "*" not in r.kind and specificity(r.kind, offer)]
    best: tuple[str, float, int, int] | None = None
    for kind in candidates:
        matching = [(r.covers(kind), r) for r in ranges if r.covers(kind)]
        if not matching:
            continue
        rank, chosen = max(matching, key=lambda pair: (pair[0], -pair[1].order))
        if chosen.q <= 0:
            continue
        score = (kind, chosen.q, rank, chosen.order)
        if best is None or (score[1], score[2], -score[3]) > (best[1], best[2], -best[3]):
            best = score
    return best


def negotiate(accept: str | None, offered: Sequence[str]) -> tuple[int, str] | None:
    """Which of the `offered` media types (an answer's declared ones, the preferred first)
    `accept` chooses, and the concrete type to send it as; None if it accepts none.

    The highest quality wins, then the most specific range (`text/html` over `text/*` over
    `*/*`), then the range named first, then the offer declared first."""
    if not offered:
        return None
    if accept is None or not accept.strip():
        return 0, concrete(offered[0])
    ranges = parse_accept(accept)
    best: tuple[float, int, int, int] | None = None
    chosen: tuple[int, str] | None = None
    for index, offer in enumerate(offered):
        served = _served(essence(offer), ranges)
        if served is None:
            continue
        key = (served[1], served[2], -served[3], -index)
        if best is None or key > best:
            best, chosen = key, (index, served[0] if "*" in essence(offer) else offer)
    return chosen


def concrete(media_type: str) -> str:
    """A type a body can be sent as, for a declared one that may be a range."""
    kind = essence(media_type)
    if kind in ("*/*", "application/*") or kind.endswith("/*+json"):
        return "application/json"
    if kind == "text/*":
        return "text/plain"
    if kind.endswith("/*"):
        return "application/octet-stream"
    return media_type

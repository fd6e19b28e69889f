"""JSON request bodies: orjson's quick way and the strict decoder give the same values, and
what only the strict decoder can say (big integers exact, lone surrogates, unrepresentable
numbers) is still said."""

from __future__ import annotations

import asyncio
import json
import math
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.body import BodyReader, Limits, decode_json
from mockserver.problems import Problem

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()  # unbounded: beyond 64 bits too
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=["Cs"]))
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=30)


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (an int is not a float)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@given(_VALUES)
def test_every_json_value_comes_back_as_it_was_sent(value: Any) -> None:
    for text in (json.dumps(value), json.dumps(value, indent=1, ensure_ascii=False)):
        body = decode_json(text.encode())
        assert body.violations == [] and body.present
        assert _same(body.value, value), (text[:200], body.value)


def test_integers_beyond_64_bits_stay_exact() -> None:
    for raw in (b"18446744073709551616", b'{"n": -9223372036854775809}', b"[" + b"9" * 40 + b"]"):
        assert _same(decode_json(raw).value, json.loads(raw))


def test_lone_surrogates_and_unrepresentable_numbers_are_still_located() -> None:
    assert [v.type for v in decode_json(b'{"a": "\\ud800"}').violations] == ["string_unicode"]
    assert decode_json(b'{"a": "\\ud800"}', unicode_only=False).value == {"a": "\ud800"}
    located = decode_json(b'{"a": [1, 1e400]}').violations
    assert [(v.loc, v.type) for v in located] == [(("body", "a", 1), "finite_number")]


@pytest.mark.parametrize("timeout", [0.3, 1.3])  # two ticks of 0.15 s; three of 0.433 s
def test_a_body_read_is_cut_off_after_the_timeout_and_not_before(timeout: float) -> None:
    """The watchdog counts ticks, not a clock per request: a read slower than the timeout is a
    408 no sooner than the timeout and within one tick after it, wherever between two ticks it
    started; one within the timeout is read as sent."""
    reader = BodyReader(Limits(body_timeout=timeout))
    period = reader.watchdog.period

    def receiving(delay: float) -> Any:
        async def receive() -> dict[str, Any]:
            await asyncio.sleep(delay)
            return {"type": "http.request", "body": b"{}", "more_body": False}

        return receive

    async def read(after: float, delay: float) -> tuple[bytes | Problem, float]:
        await asyncio.sleep(after)
        began = time.monotonic()
        got = await reader._read(receiving(delay), 1024)
        return got, time.monotonic() - began

    async def main() -> list[tuple[bytes | Problem, float]]:
        # The first read starts the ticking; the others start early, midway and late between two ticks.
        starts = [0.0, *(period * share for share in (0.05, 0.5, 0.95))]
        slow = [read(after, 60.0) for after in starts]
        return list(await asyncio.gather(read(0.0, timeout * 0.6), *slow))

    (first, _), *cut = asyncio.run(main())
    assert first == b"{}"
    for problem, seconds in cut:
        assert isinstance(problem, Problem) and problem.status == 408, problem
        assert timeout <= seconds < timeout + period + 0.1, (seconds, timeout, period)


def test_a_watchdog_without_a_finite_timeout_watches_nothing_and_a_zero_one_cuts_off_at_once() -> None:
    async def main() -> tuple[bytes | Problem, bytes | Problem]:
        async def receive() -> dict[str, Any]:
            await asyncio.sleep(0.05)
            return {"type": "http.request", "body": b"{}", "more_body": False}

        never, at_once = BodyReader(Limits(body_timeout=math.inf)), BodyReader(Limits(body_timeout=0.0))
        return await never._read(receive, 1024), await at_once._read(receive, 1024)

    kept, cut = asyncio.run(main())
    assert kept == b"{}"
    assert isinstance(cut, Problem) and cut.status == 408

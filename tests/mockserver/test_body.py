"""JSON request bodies: orjson's quick way and the strict decoder give the same values, and
what only the strict decoder can say (big integers exact, lone surrogates, unrepresentable
numbers) is still said."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mockserver.body import decode_json

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


def test_a_body_read_is_cut_off_after_the_timeout_and_not_before() -> None:
    """The watchdog counts ticks, not a clock per request: a read slower than the timeout is a
    408 no sooner than the timeout (and before twice it), one within it is read as sent."""
    import asyncio
    import time

    from mockserver.body import BodyReader, Limits
    from mockserver.problems import Problem

    timeout = 0.3
    reader = BodyReader(Limits(body_timeout=timeout))

    def receiving(delay: float) -> Any:
        async def receive() -> dict[str, Any]:
            await asyncio.sleep(delay)
            return {"type": "http.request", "body": b"{}", "more_body": False}

        return receive

    async def read(delay: float) -> tuple[bytes | Problem, float]:
        began = time.monotonic()
        got = await reader._read(receiving(delay), 1024)
        return got, time.monotonic() - began

    async def main() -> list[tuple[bytes | Problem, float]]:
        await asyncio.sleep(0.05)  # reads starting between two ticks as well as at one
        return list(await asyncio.gather(read(timeout * 0.6), read(60.0), read(timeout * 0.6), read(60.0)))

    (ok, _), (cut, waited), (ok2, _), (cut2, waited2) = asyncio.run(main())
    assert ok == b"{}" and ok2 == b"{}"
    for problem, seconds in ((cut, waited), (cut2, waited2)):
        assert isinstance(problem, Problem) and problem.status == 408, problem
        assert timeout <= seconds < 2 * timeout, seconds

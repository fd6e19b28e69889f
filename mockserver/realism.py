"""Realistic leaf values chosen by JSON Schema format and property name.

Each `*_for` function is called once per schema node at compile time and returns a
generator closure; nothing here inspects names per request.
"""

from __future__ import annotations

import itertools
import random
import string
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import rstr

from mockserver.types import JSON

Pick = Callable[[random.Random], JSON]

_WORDS = [
    "quarterly",
    "planning",
    "review",
    "roadmap",
    "launch",
    "budget",
    "hiring",
    "design",
    "sync",
    "research",
    "customer",
    "onboarding",
    "retro",
    "migration",
    "pricing",
    "security",
    "incident",
    "analytics",
    "partner",
    "feedback",
    "demo",
    "strategy",
    "support",
    "release",
    "metrics",
    "kickoff",
    "interview",
    "summary",
    "notes",
    "follow-up",
    "standup",
]
_SENTENCES = (
    "We agreed to ship the first version before the end of the month.",
    "The team reviewed last quarter's numbers and picked three priorities.",
    "Action items were assigned and the next check-in is on Thursday.",
    "Customers asked for better exports, so the roadmap moves that item up.",
    "Latency dropped after the cache change; we will keep monitoring it.",
    "The draft covers scope, risks and an estimate for each milestone.",
    "Most questions were about onboarding and the new pricing tiers.",
    "The summary links the relevant documents and recordings.",
)
_NAMES = ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson", "Linus Park", "Maya Chen")
_EMOJI = ("🧠", "💬", "📅", "🚀", "📝", "💡", "✅")
_PLACES = (
    ("1 Market St, San Francisco, CA", 37.7936, -122.3958),
    ("10 Downing St, London", 51.5034, -0.1276),
    ("Alexanderplatz 1, Berlin", 52.5219, 13.4132),
    ("1-1 Marunouchi, Tokyo", 35.6812, 139.7671),
)
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "role": ("user", "assistant"),
    "status": ("active", "archived"),
    "language": ("en", "de", "fr", "es"),
    "model_name": ("gpt-4o-mini", "claude-3-5-sonnet", "llama-3.1-70b"),
    "provider": ("openai", "anthropic", "groq"),
    "source_type": ("youtube", "pdf", "web"),
    "source": ("omi", "phone", "desktop"),
    "location_type": ("home", "office", "cafe"),
    "namespace": ("library", "handbook", "research"),
    "question_type": ("content", "navigation", "summary"),
    "answer_origin": ("library_rag", "model"),
    "folder_name": ("Work", "Personal", "Meetings"),
    "error": ("error",),
}
_PROSE = (
    "summary",
    "overview",
    "description",
    "content",
    "text",
    "preview",
    "full_text",
    "message",
    "mitigation",
    "reason",
    "provenance_note",
    "note",
    "body",
    "detail",
    "msg",
)


def _slug(rng: random.Random) -> str:
    return "-".join(rng.sample(_WORDS, 2))


def _title(rng: random.Random) -> str:
    return " ".join(rng.sample(_WORDS, rng.randint(2, 4))).capitalize()


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.sample(_SENTENCES, rng.randint(1, 2)))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _token(rng: random.Random, length: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(rng.choice(alphabet) for _ in range(length))


def format_datetime(moment: float) -> str:
    """RFC 3339 in UTC with milliseconds, the way most JSON APIs write it."""
    stamp = datetime.fromtimestamp(moment, tz=UTC).isoformat(timespec="milliseconds")
    return stamp.removesuffix("+00:00") + "Z"


_FORMATS: dict[str, Pick] = {
    "time": lambda rng: f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z",
    "duration": lambda rng: f"PT{rng.randint(1, 59)}M",
    "ipv6": lambda rng: f"2001:db8::{rng.randint(1, 0xFFFF):x}",
    "uri-reference": lambda rng: f"/articles/{_slug(rng)}",
    "iri-reference": lambda rng: f"/articles/{_slug(rng)}",
    "uri-template": lambda rng: "https://api.example.com/items/{id}",
    "idn-email": lambda rng: f"{rng.choice(_NAMES).split()[0].lower()}@example.com",
    "idn-hostname": lambda rng: f"{rng.choice(_WORDS)}.example.com",
    "json-pointer": lambda rng: f"/{rng.choice(_WORDS)}/0",
    "relative-json-pointer": lambda rng: "0/" + rng.choice(_WORDS),
    "regex": lambda rng: "^[a-z]+$",
    "byte": lambda rng: "aGVsbG8gd29ybGQ=",
    "password": lambda rng: "s3cr3t-" + _token(rng, 8),
}


def string_for(name: str, fmt: str | None) -> Pick:
    """A generator of realistic strings for a property called `name` with `fmt`."""
    key = name.lower()
    by_format = _FORMATS.get(fmt or "")
    if by_format is not None:
        return by_format
    if key == "video_id":
        return lambda rng: _token(rng, 11)
    if key.endswith("place_id"):
        return lambda rng: "ChIJ" + _token(rng, 23)
    if fmt == "uuid" or key == "id" or key.endswith("_id"):
        return _uuid
    if fmt == "email" or key.endswith("email"):
        return lambda rng: f"{rng.choice(_NAMES).split()[0].lower()}@example.com"
    if fmt in ("uri", "url", "iri") or key in ("url", "link", "href") or key.endswith(("_url", "_uri")):
        return lambda rng: f"https://docs.example.com/articles/{_slug(rng)}"
    if fmt == "date":
        return lambda rng: f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if fmt == "hostname":
        return lambda rng: f"{rng.choice(_WORDS)}.example.com"
    if fmt == "ipv4":
        return lambda rng: f"192.0.2.{rng.randint(1, 254)}"
    if key.endswith("path"):
        return lambda rng: f"/library/{_slug(rng)}.pdf"
    if key in _KEYWORDS:
        choices = _KEYWORDS[key]
        return lambda rng: rng.choice(choices)
    if key == "emoji":
        return lambda rng: rng.choice(_EMOJI)
    if key == "address":
        return lambda rng: rng.choice(_PLACES)[0]
    if key.endswith("name") and key not in ("name",):
        return lambda rng: rng.choice(_NAMES)
    if key in ("name", "title", "label", "subject"):
        return _title
    if key in _PROSE or key.endswith(("_text", "_note")):
        return _sentence
    if key.endswith(("by", "owner", "user", "author")):
        return _uuid
    return lambda rng: rng.choice(_WORDS)


def number_range(name: str, integer: bool) -> tuple[float, float]:
    """A realistic range for a number called `name` (intersected with the schema later)."""
    key = name.lower()
    if key == "latitude":
        return (-90.0, 90.0)
    if key == "longitude":
        return (-180.0, 180.0)
    if key.endswith("_ms"):
        return (20, 2500)
    if key.endswith("score"):
        return (0.0, 1.0)
    if key == "feedback":
        return (-1, 1)
    if key in ("status_code", "statuscode", "code"):
        return (400, 499)
    if key in ("duration",):
        return (15, 120)
    if key.startswith("speaker"):
        return (0, 3)
    if key in ("start", "end", "timestamp", "offset"):
        return (0, 3600)
    if key.endswith(("count", "total", "size")):
        return (0, 50)
    return (1, 10_000) if integer else (0.0, 100.0)


def place(rng: random.Random) -> tuple[str, float, float]:
    """An address with its latitude and longitude."""
    return rng.choice(_PLACES)


def fit(value: str, fmt: str | None, low: int, high: int | None, rng: random.Random) -> str:
    """`value` (of format `fmt`) made `low` to `high` characters long, keeping its format where
    the format allows that length: a timestamp gains or drops fractional digits, an email or a
    host name its labels, a URL its path; other text gains words or is cut."""
    if low <= len(value) and (high is None or len(value) <= high):
        return value
    fitted = _FITS[fmt](value, low, high, rng) if fmt in _FITS else None
    if fitted is not None and low <= len(fitted) and (high is None or len(fitted) <= high):
        return fitted
    while len(value) < low:
        value += " " + rng.choice(_WORDS)
    return value[:high] if high is not None else value


def _fit_datetime(value: str, low: int, high: int | None, rng: random.Random) -> str | None:
    stem = value[:19]  # YYYY-MM-DDTHH:MM:SS
    digits = "".join(str(rng.randint(0, 9)) for _ in range(9))
    for fraction in ("", "." + digits[:3], "." + digits[:6], "." + digits):
        for zone in ("Z", "+00:00"):
            candidate = stem + fraction + zone
            if low <= len(candidate) and (high is None or len(candidate) <= high):
                return candidate
    return None


def _fit_email(value: str, low: int, high: int | None, rng: random.Random) -> str | None:
    local, _, domain = value.partition("@")
    for host in (domain, "mail.example.com", "example.com", "ex.io", "x.io"):
        room = (high if high is not None else 64 + len(host) + 1) - len(host) - 1
        if room < 1:
            continue
        name = local
        while len(name) + len(host) + 1 < low and len(name) < 60:
            name += "." + rng.choice(_WORDS).replace("-", "")
        name = name[: min(room, 64)].rstrip(".")
        while len(name) + len(host) + 1 < low and len(host) < 240:
            host = rng.choice(_WORDS).replace("-", "") + "." + host
        candidate = f"{name}@{host}"
        if low <= len(candidate) and (high is None or len(candidate) <= high):
            return candidate
    return None


def _fit_hostname(value: str, low: int, high: int | None, rng: random.Random) -> str | None:
    host = value
    while len(host) < low:
        host = rng.choice(_WORDS).replace("-", "") + "." + host
    if high is not None and len(host) > high:
        label = host.split(".")[0][: max(1, high - 3)]
        host = label + ".io" if len(label) + 3 <= high else label[:high]
    return host


def _fit_uri(value: str, low: int, high: int | None, rng: random.Random) -> str | None:
    base = value if high is None or len(value) <= high else "https://x.io/" + _slug(rng)
    while len(base) < low:
        base += "/" + rng.choice(_WORDS)
    if high is not None and len(base) > high:
        base = base[:high].rstrip("/.-") if high >= len("https://x.io") else base[:high]
    return base


def _fit_ipv6(value: str, low: int, high: int | None, rng: random.Random) -> str | None:
    groups = [f"{rng.randint(0, 0xFFFF):04x}" for _ in range(6)]
    return ":".join(["2001", "0db8", *groups])  # the full form, 39 characters


def _fit_byte(value: str, low: int, high: int | None, rng: random.Random) -> str | None:
    size = max(1, (low + 3) // 4) * 4
    if high is not None and size > high:
        size = high // 4 * 4
    return "aGVs" * (size // 4) if size > 0 or low == 0 else None


_Fit = Callable[[str, int, "int | None", random.Random], "str | None"]
_FITS: dict[str, _Fit] = {
    "date-time": _fit_datetime,
    "email": _fit_email,
    "idn-email": _fit_email,
    "hostname": _fit_hostname,
    "idn-hostname": _fit_hostname,
    "uri": _fit_uri,
    "url": _fit_uri,
    "iri": _fit_uri,
    "ipv6": _fit_ipv6,
    "byte": _fit_byte,
}


class Xeger(rstr.Rstr):
    """rstr's regex-to-string with at most `limit` repeats of `*`, `+` and `{n,}` (realistic
    lengths), and negated classes drawn in a fixed order (no dependence on hash seeds)."""

    def __init__(self, rng: random.Random, limit: int, floor: int = 0) -> None:
        super().__init__(rng)
        self._limit = limit
        self._floor = floor

    def _handle_repeat(self, start_range: int, end_range: int, value: Any) -> str:
        high = max(start_range, min(end_range, self._limit))
        return str(super()._handle_repeat(max(start_range, min(self._floor, high)), high, value))

    def _handle_in(self, value: Any) -> Any:
        candidates = list(itertools.chain(*(self._handle_state(i) for i in value)))
        if candidates[0] is False:
            candidates = sorted(set(string.printable).difference(candidates[1:]))
        return self._random.choice(candidates)

"""Reading a `multipart/form-data` body into its parts, with python-multipart (the parser
Starlette uses).

The body is already read (and within the size limit), so the parts are kept in memory.
A body the parser cannot take (no boundary, a bad header, a truncated last part, a part
without a name) is answered with one sentence saying what is wrong, never an exception.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

# The parser logs a warning for each malformed body before it raises; the client's mistake is
# answered (and the access log names it), so the warning would only repeat it on stderr.
_QUIET = logging.Logger("mockserver.multipart", level=logging.CRITICAL)
# More parts than a document's form allows (Discord's `sticker_ids` takes 1,521 items, a part
# each): a body of 100,000 tiny parts is refused at once, with a 413 (too large, not malformed).
MAX_PARTS = 10_000
TOO_MANY_PARTS = f"multipart body of more than {MAX_PARTS} parts"


@dataclass(slots=True)
class Part:
    name: str
    data: bytes
    content_type: str | None = None  # as the part's own `Content-Type` header says
    filename: str | None = None  # a file part has one in its `Content-Disposition`


@dataclass(slots=True)
class _Collector:
    """The parser's callbacks: headers and data of each part, in order."""

    parts: list[tuple[dict[str, bytes], list[bytes]]] = field(default_factory=list)
    field_name: bytearray = field(default_factory=bytearray)
    field_value: bytearray = field(default_factory=bytearray)
    too_many: bool = False

    def part_begin(self) -> None:
        if len(self.parts) >= MAX_PARTS:
            self.too_many = True
            raise FormParserError(TOO_MANY_PARTS)
        self.parts.append(({}, []))

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.field_name += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self.field_value += data[start:end]

    def header_end(self) -> None:
        self.parts[-1][0][self.field_name.decode("latin-1").strip().lower()] = bytes(self.field_value).strip()
        self.field_name.clear()
        self.field_value.clear()

    def part_data(self, data: bytes, start: int, end: int) -> None:
        self.parts[-1][1].append(data[start:end])


def parse_multipart(raw: bytes, content_type: str) -> list[Part] | str:
    """The parts of a `multipart/form-data` body, or why it cannot be read (`TOO_MANY_PARTS`
    when it has more than `MAX_PARTS`)."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        return "multipart body without a boundary parameter in its Content-Type"
    collector = _Collector()
    callbacks = {
        "on_part_begin": collector.part_begin,
        "on_header_field": collector.header_field,
        "on_header_value": collector.header_value,
        "on_header_end": collector.header_end,
        "on_part_data": collector.part_data,
    }
    try:
        parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
        parser.logger = _QUIET
        parser.write(raw)
        parser.finalize()
    except FormParserError as exc:
        return TOO_MANY_PARTS if collector.too_many else f"malformed multipart body: {exc}"
    if parser.state != MultipartState.END and not _only_closing(raw, boundary):
        return "malformed multipart body: it ends before its closing boundary"
    parts: list[Part] = []
    for index, (headers, chunks) in enumerate(collector.parts):
        _, disposition = parse_options_header(headers.get("content-disposition"))
        name = disposition.get(b"name")
        if name is None:
            return f"malformed multipart body: part {index} has no name in its Content-Disposition"
        filename = disposition.get(b"filename")
        part_type = headers.get("content-type")
        parts.append(
            Part(
                name=name.decode("utf-8", "replace"),
                data=b"".join(chunks),
                content_type=part_type.decode("latin-1") if part_type else None,
                filename=filename.decode("utf-8", "replace") if filename is not None else None,
            )
        )
    return parts


def _only_closing(raw: bytes, boundary: bytes) -> bool:
    """An empty form, sent as its closing boundary alone (`--b--`), which the parser does not
    take for one."""
    return raw.strip() == b"--" + boundary + b"--"

"""The one root exception of the harness: an expected failure (busy port, missing tool, a
server that does not start) that the command line prints as one line, without a traceback."""

from __future__ import annotations


class BenchError(Exception):
    """Something the user can fix; the message says what and where."""

"""What `--workers N` needs: one thread at a time turning source into an AST.

With several workers, Schemathesis generates cases in several threads at once, and in those
threads Hypothesis parses source code with `ast.parse` (to describe and rewrite filter
lambdas, to harvest constants), as do `traceback` (3.11's caret anchors) and pytest's
assertion rewriting of lazily imported modules. On CPython 3.11 two threads building ASTs at
once corrupt the interpreter's shared AST recursion counter (CPython gh-106905), and the run
fails now and then with `SystemError: AST constructor recursion depth mismatch`. A lock
around `ast.parse` makes those parses take turns (re-entrant: a finalizer run by the garbage
collector during a parse may parse too); they are rare after the first cases, so it costs
next to nothing.

Importing this module installs the lock, once; `contracts.runner` imports it.
"""

from __future__ import annotations

import ast
import functools
import threading
from typing import Any

_LOCK = threading.RLock()


def _install() -> None:
    parse = ast.parse
    if getattr(parse, "_one_thread_at_a_time", False):
        return

    @functools.wraps(parse)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return parse(*args, **kwargs)

    locked._one_thread_at_a_time = True  # type: ignore[attr-defined]
    ast.parse = locked


_install()

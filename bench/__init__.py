"""Benchmarks of the mock server: throughput and latency under wrk beside a bare reference
answering the same bytes (and Prism), start-up, state engines, growth and the contract
suite's cost. See bench/README.md."""

import functools
import sys
from pathlib import Path

HOST, ROOT = "127.0.0.1", Path(__file__).resolve().parent.parent
say = functools.partial(print, file=sys.stderr, flush=True)  # progress, apart from the report on stdout


class BenchError(Exception):
    """What stops a benchmark run, said in one line (`python -m bench` prints it, no traceback)."""

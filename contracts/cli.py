"""`mockserver contract`: the contract suite as a command, for an installed package.

It runs the very suite `pytest contracts` runs from a checkout (pytest stays the engine: the
packaged `contracts/test_contract.py` with its conftest), with the same options, the same
CONTRACT_* environment variables and the same exit status (0 honoured, 1 violations or
errors, 4 usage error). Options are parsed here first, so `--help` lists the suite's own and
a mistake is one line; anything after `--` goes to pytest unchanged (`-- -q -x`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import hypothesis.configuration
import pytest
import schemathesis  # noqa: F401  (the engine: an ImportError here means the `contract` extra is missing)

from contracts.options import OPTIONS

SUITE = Path(__file__).resolve().parent / "test_contract.py"
USAGE_ERROR = 4  # pytest's exit status for a usage error

_EPILOG = """\
exit status: 0 the target honours its contract, 1 violations (or it could not be tested),
4 usage error. Pass pytest's own options after `--`.

examples:
  mockserver contract                                   # every seed API against its in-process mock
  CONTRACT_TOKEN=... mockserver contract --api datagrid --base-url https://api.datagrid.com/v1 \\
      --junitxml contract.xml --report-md contract.md
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def build_parser(prog: str = "mockserver contract") -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description="Test a deployment (or the in-process mock) against its OpenAPI contract.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for flag, kwargs in OPTIONS:
        parser.add_argument(flag, **kwargs)
    parser.add_argument("--junitxml", metavar="FILE", help="write a JUnit XML report (default: none)")
    return parser


def pytest_arguments(argv: Sequence[str]) -> list[str]:
    """The pytest command line for `argv` (options validated first; SystemExit on a mistake)."""
    argv = list(argv)
    ours, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    build_parser().parse_args(ours)
    # Not the caller's configuration: no ini file, no cache written to the working directory.
    return [str(SUITE), "-c", str(SUITE.parent / "pytest.ini"), "-p", "no:cacheprovider", *ours, *extra]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite; its exit status."""
    arguments = pytest_arguments(sys.argv[1:] if argv is None else argv)
    # Hypothesis keeps caches in ./.hypothesis; a CI job's working directory is not ours to fill.
    hypothesis.configuration.set_hypothesis_home_dir(cache_directory() / "hypothesis")
    return int(pytest.main(arguments))


def cache_directory() -> Path:
    """Where the suite may keep caches: $XDG_CACHE_HOME/mockserver (default ~/.cache/mockserver)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mockserver"


if __name__ == "__main__":
    sys.exit(main())

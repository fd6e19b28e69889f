"""Which APIs to test, and where: the in-process mock (default) or a live deployment.

Every spec in the specs directory is an API, named by its file stem. With `--base-url` the
suite tests one deployment, so exactly one API must be selected; without it each API's mock
runs in-process (ASGI, no socket), started with the suite's token as its only credential.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.types import ASGIApp

from contracts.credentials import IN_PROCESS_TOKEN
from contracts.options import ContractOptions
from mockserver.errors import MockServerError
from mockserver.loader import find_specs


@dataclass(frozen=True)
class Target:
    api: str
    spec_path: Path
    base_url: str | None  # None: the in-process mock
    token: str | None

    @property
    def live(self) -> bool:
        return self.base_url is not None

    def describe(self) -> str:
        return self.base_url or "in-process mock"

    def mock_app(self, seed: int) -> ASGIApp:
        """The mock serving this API alone, at its server path (the layout of a deployment)."""
        from mockserver import create_app
        from mockserver.app import ServerConfig

        tokens = frozenset({self.token or IN_PROCESS_TOKEN})
        return create_app([self.spec_path], ServerConfig(seed=seed, tokens=tokens, log_requests=False))


def available_specs(directory: Path) -> dict[str, Path]:
    try:
        return {path.stem: path for path in find_specs([str(directory)])}
    except MockServerError as exc:
        raise pytest.UsageError(f"no specs to test: {exc}") from exc


def select_targets(options: ContractOptions) -> list[Target]:
    """The targets the options ask for; UsageError for unknown APIs or an ambiguous --base-url."""
    specs = available_specs(options.specs)
    unknown = [name for name in options.apis if name not in specs]
    if unknown:
        raise pytest.UsageError(f"unknown API {', '.join(unknown)}; available: {', '.join(sorted(specs))}")
    names = list(dict.fromkeys(options.apis)) or sorted(specs)
    if options.live and len(names) != 1:
        raise pytest.UsageError("--base-url tests one deployment: name its API with --api")
    token = options.token if options.live else (options.token or IN_PROCESS_TOKEN)
    return [Target(name, specs[name], options.base_url, token) for name in names]

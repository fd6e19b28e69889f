"""Prism 5 (the most used OpenAPI mock, Node.js) for comparison, where Node.js is present.

Installed from the npm registry into bench/.node (not committed), then run on one spec at a
time: `prism mock -d` (dynamic bodies, request validation on), logging at error level.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

PACKAGE = "@stoplight/prism-cli"
VERSION = "5.16.0"
INSTALL_TIMEOUT = 600.0


def installed_version(folder: Path) -> str | None:
    manifest = folder / "node_modules" / PACKAGE / "package.json"
    try:
        version = json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None
    return str(version)


def find_or_install(folder: Path, install: bool, say: Callable[[str], None] = print) -> Path | None:
    """The prism executable in `folder`, installing it there when needed and allowed.

    None (with the reason said) when Node.js or npm is missing or the install fails."""
    executable = folder / "node_modules" / ".bin" / "prism"
    if executable.exists() and installed_version(folder) == VERSION:
        return executable
    if shutil.which("node") is None:
        say("Node.js is not installed: Prism is left out")
        return None
    npm = shutil.which("npm")
    if npm is None or not install:
        why = "and npm is missing" if npm is None else "(--no-install)"
        say(f"Prism {VERSION} is not installed in {folder} {why}: Prism is left out")
        return None
    say(f"installing {PACKAGE}@{VERSION} into {folder} ...")
    folder.mkdir(parents=True, exist_ok=True)
    argv = [
        npm,
        "install",
        "--prefix",
        str(folder),
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        f"{PACKAGE}@{VERSION}",
    ]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        say(f"npm install did not finish within {INSTALL_TIMEOUT:g} s: Prism is left out")
        return None
    if done.returncode != 0 or not executable.exists():
        say(f"npm install failed: {(done.stderr or done.stdout).strip()[-400:]}\nPrism is left out")
        return None
    return executable


def command(executable: Path, spec: Path, port: int, host: str) -> list[str]:
    return [str(executable), "mock", "-d", "-h", host, "-p", str(port), "--verboseLevel", "error", str(spec)]

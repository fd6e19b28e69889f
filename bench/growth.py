"""How cost grows: throughput and RSS against the number of stored resources, and start-up
time and RSS against document size for the corpus documents, each as a table and an SVG
plot in bench/results/."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import wrk
from bench.servers import BenchError, Server, Servers, call, free_port
from bench.workloads import TOKEN, from_index

SIZES = (1_000, 10_000, 100_000)
CORPUS = "tests/corpus"


def _mock(targets: Sequence[str], *options: str) -> Callable[[int], list[str]]:
    base = [sys.executable, "-m", "mockserver", "serve", *targets, "--quiet", "--token", TOKEN, *options]
    return lambda port: [*base, "--port", str(port)]


def stored(root: Path, args: argparse.Namespace, index_of: Callable[[Server], dict[str, Any]]) -> list[dict[str, Any]]:
    """Per size: the seconds to seed the collection, RSS, and list/create throughput."""
    rows = []
    for size in SIZES:
        with Servers() as servers:
            port = free_port()
            options = ("--seed-items", str(size), "--max-items", str(size))
            argv = _mock([f"{CORPUS}/petstore-expanded.yaml"], *options)(port)
            server = servers.start(Server("mock", argv, port, root))
            server.wait_until(server.answers, timeout=60)
            listing, create = from_index(index_of(server), ["pets-list", "pets-create"])
            before = server.rss_mb() or 0.0
            status, _, _ = call(port, "GET", listing.path, headers=listing.headers(), timeout=300)  # seeds it
            if status != 200:
                raise BenchError(f"the mock answered {status} to {listing.path} with {size} items")
            row: dict[str, Any] = {"items": size, "rss_mb": server.rss_mb()}
            row["kb_per_item"] = round(((row["rss_mb"] or 0.0) - before) * 1024 / size, 2)
            for w in (listing, create):
                # One request first, with time to spare: the answers still owed to the last run's
                # connections (slow lists of many items) are given before this run starts.
                call(port, w.method, w.path, headers=w.headers(), body=w.body_bytes, timeout=300)
                result = wrk.run(port, w.method, w.path, w.headers(), w.body_bytes, args.duration, args.connections)
                row[f"{w.name}_rps"] = round(result.rps, 1)
                row[f"{w.name}_errors"] = result.errors
            rows.append(row)
    return rows


def documents(root: Path, index_of: Callable[[Server], dict[str, Any]]) -> list[dict[str, Any]]:
    """Per corpus document the mock serves: size, operations, seconds to ready and RSS."""
    rows = []
    for path in sorted((root / CORPUS).glob("*.*")):
        if path.suffix not in (".json", ".yaml"):
            continue
        with Servers() as servers:
            port = free_port()
            server = servers.start(Server("mock", _mock([str(path)])(port), port, root))
            try:
                seconds = server.wait_until(server.answers, timeout=60, interval=0.01)
            except BenchError:
                continue  # a document the mock refuses: the corpus README lists them
            operations = sum(len(api["operations"]) for api in index_of(server)["apis"])
            size_kb = path.stat().st_size / 1024
            row = {"document": path.name, "kb": round(size_kb), "operations": operations, "seconds": round(seconds, 3)}
            rows.append({**row, "rss_mb": server.rss_mb()})
    return rows


def svg(points: Sequence[tuple[float, float, str]], x_label: str, y_label: str, title: str) -> str:
    """A scatter plot (x, y, label) with axes from zero, as a standalone SVG document."""
    width, height, pad = 640, 400, 60
    x_max = max(x for x, _, _ in points) * 1.1 or 1
    y_max = max(y for _, y, _ in points) * 1.15 or 1

    def at(x: float, y: float) -> tuple[float, float]:
        return pad + x / x_max * (width - 2 * pad), height - pad - y / y_max * (height - 2 * pad)

    bottom, middle = height - pad, height / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="11"><rect width="100%" height="100%" fill="white"/>',
        f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>',
        f'<line x1="{pad}" y1="{bottom}" x2="{width - pad}" y2="{bottom}" stroke="black"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{bottom}" stroke="black"/>',
        f'<text x="{width / 2}" y="{height - 15}" text-anchor="middle">{x_label}</text>',
        f'<text x="15" y="{middle}" transform="rotate(-90 15 {middle})" text-anchor="middle">{y_label}</text>',
    ]
    for tick in range(5):
        x, y = at(x_max * tick / 4, 0)
        parts.append(f'<text x="{x}" y="{y + 15}" text-anchor="middle">{x_max * tick / 4:,.0f}</text>')
        x, y = at(0, y_max * tick / 4)
        parts.append(f'<text x="{x - 5}" y="{y + 4}" text-anchor="end">{y_max * tick / 4:,.2f}</text>')
    for x_value, y_value, label in points:
        x, y = at(x_value, y_value)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1f77b4"/>')
        parts.append(f'<text x="{x + 6:.1f}" y="{y - 6:.1f}">{label}</text>')
    return "\n".join([*parts, "</svg>"]) + "\n"


def run(
    root: Path, results: Path, args: argparse.Namespace, index_of: Callable[[Server], dict[str, Any]]
) -> dict[str, Any]:
    out = {"stored": stored(root, args, index_of), "documents": documents(root, index_of)}
    results.mkdir(parents=True, exist_ok=True)
    by_items = [(float(r["items"]), float(r["pets-list_rps"]), f"{r['rss_mb']:.0f} MB") for r in out["stored"]]
    (results / "growth-stored.svg").write_text(
        svg(by_items, "stored pets", "list req/s (label: RSS)", "List throughput against stored resources")
    )
    by_size = [(float(r["kb"]), float(r["seconds"]), r["document"].split(".")[0]) for r in out["documents"]]
    (results / "growth-startup.svg").write_text(
        svg(by_size, "document size (KB)", "seconds to ready", "Start-up against document size (corpus)")
    )
    (results / "growth.json").write_text(json.dumps(out, indent=2) + "\n")
    return out

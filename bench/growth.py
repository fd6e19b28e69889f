"""How cost grows: list/create throughput and RSS against the number of stored pets, and
start-up time and RSS of every corpus document against its size, as tables and SVG plots
in bench/results/."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import wrk
from bench.servers import ROOT, BenchError, Servers, call, index_of, mock_argv
from bench.workloads import from_index

SIZES = (1_000, 10_000, 100_000)
CORPUS = "tests/corpus"


def stored(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Per size: RSS (and its growth per item) once the collection is seeded, list/create req/s."""
    rows = []
    for size in SIZES:
        with Servers() as servers:
            options = ("--seed-items", str(size), "--max-items", str(size))
            server = servers.start("mock", mock_argv(f"{CORPUS}/petstore-expanded.yaml", *options))
            listing, create = from_index(index_of(server), ["pets-list", "pets-create"])
            before = server.rss_mb()
            status, _, _ = call(server.port, "GET", listing.path, headers=listing.headers(), timeout=300)  # seeds it
            if status != 200:
                raise BenchError(f"the mock answered {status} to {listing.path} with {size} items")
            row: dict[str, Any] = {"items": size, "rss_mb": server.rss_mb()}
            row["kb_per_item"] = round((row["rss_mb"] - before) * 1024 / size, 2)
            for w in (listing, create):
                # One request first, with time to spare: the answers still owed to the last run's
                # connections (slow lists of many items) are given before this run starts.
                call(server.port, w.method, w.path, w.body_bytes, w.headers(), timeout=300)
                result = wrk.run(
                    server.port, w.method, w.path, w.headers(), w.body_bytes, args.duration, args.connections
                )
                row |= {f"{w.name}_rps": round(result.rps, 1), f"{w.name}_errors": result.errors}
            rows.append(row)
    return rows


def startup_of(document: str | Path, *options: str) -> tuple[float, float, int]:
    """Seconds until a mock of `document` alone answers, its RSS (MB) and operations."""
    with Servers() as servers:
        server = servers.start("mock", mock_argv(str(document), *options))
        return server.ready_s, server.rss_mb(), sum(len(api["operations"]) for api in index_of(server)["apis"])


def documents() -> list[dict[str, Any]]:
    """Per corpus document the mock serves: size, operations, seconds to ready and RSS."""
    rows = []
    for path in sorted(p for p in (ROOT / CORPUS).glob("*.*") if p.suffix in (".json", ".yaml")):
        try:
            seconds, rss, count = startup_of(path)
        except BenchError:
            continue  # a document the mock refuses: the corpus README lists them
        kb = round(path.stat().st_size / 1024)
        rows.append({"document": path.name, "kb": kb, "operations": count, "seconds": round(seconds, 3), "rss_mb": rss})
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


def run(results: Path, args: argparse.Namespace) -> dict[str, Any]:
    out = {"stored": stored(args), "documents": documents()}
    results.mkdir(parents=True, exist_ok=True)
    by_items = [(float(r["items"]), float(r["pets-list_rps"]), f"{r['rss_mb']:.0f} MB") for r in out["stored"]]
    plot = svg(by_items, "stored pets", "list req/s (label: RSS)", "List throughput against stored resources")
    (results / "growth-stored.svg").write_text(plot)
    by_size = [(float(r["kb"]), float(r["seconds"]), r["document"].split(".")[0]) for r in out["documents"]]
    plot = svg(by_size, "document size (KB)", "seconds to ready", "Start-up against document size (corpus)")
    (results / "growth-startup.svg").write_text(plot)
    (results / "growth.json").write_text(json.dumps(out, indent=2) + "\n")
    return out

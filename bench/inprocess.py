"""The mock's own CPU time per request, without a server or a socket: the app as `make bench`
serves it, driven by a minimal ASGI loop, the best of --repeats runs of --requests (bench/README.md,
Profile). Only names older trees' bench/workloads.py has are used, so that this file copied into
one measures it.

    python -m bench.inprocess [WORKLOAD ...] [--profile] [--no-cors]
"""

import argparse
import asyncio
import time
from collections.abc import Sequence

from starlette.types import ASGIApp, Message

from bench.workloads import LIST_ITEMS, MOCK_TARGETS, SEED_WORKLOADS, TABLE, TOKEN, Workload, from_index
from mockserver.app import ServerConfig, create_app
from mockserver.cli import positive_int


async def drive(app: ASGIApp, w: Workload, requests: int) -> float:
    """CPU seconds per request of `w` over `requests` requests, in the scope a server would build
    with the headers wrk sends; every answer must be a 2xx."""
    path, _, query = w.path.partition("?")
    headers = [(b"host", b"127.0.0.1:4010")] + [(k.lower().encode(), v.encode()) for k, v in w.headers().items()]
    headers += [(b"content-length", str(len(w.body_bytes)).encode())] if w.body_bytes else []
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": w.method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 4010),
    }  # fmt: skip
    statuses = []

    async def receive() -> Message:
        return {"type": "http.request", "body": w.body_bytes, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    began = time.process_time()
    for _ in range(requests):
        await app(dict(scope), receive, send)
    seconds = (time.process_time() - began) / requests
    if not all(200 <= s < 300 for s in statuses):
        raise SystemExit(f"{w.name}: the mock answered {sorted(set(statuses))}")
    return seconds


async def run(args: argparse.Namespace) -> None:
    config = ServerConfig(tokens=frozenset({TOKEN}), log_requests=False, seed_items=LIST_ITEMS, cors=args.cors)
    app = create_app(list(MOCK_TARGETS), config)
    for w in from_index({"apis": [api.describe() for api in app.state.apis]}, args.workload or SEED_WORKLOADS):
        await drive(app, w, 200)  # first requests: seeding, caches
        if args.profile:
            from pyinstrument import Profiler

            with Profiler(interval=0.0001) as profiler:
                await drive(app, w, args.requests)
            print(profiler.output_text(color=False, unicode=False))
        best = min([await drive(app, w, args.requests) for _ in range(args.repeats)])
        print(f"{w.name:<13} {best * 1e6:6.1f} us/request (CPU, best of {args.repeats} x {args.requests})")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__.split("\n\n")[0])
    parser.add_argument("workload", nargs="*", help=f"of {', '.join(TABLE)} (default: the five seed updates)")
    parser.add_argument("--requests", type=positive_int, default=2000, help="per run (default 2000)")
    parser.add_argument("--repeats", type=positive_int, default=7, help="runs, the best counts (default 7)")
    parser.add_argument("--no-cors", dest="cors", action="store_false", help="as `serve --no-cors`")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of each loop")
    args = parser.parse_args(argv)
    if unknown := [name for name in args.workload if name not in TABLE]:
        parser.error(f"unknown workload {', '.join(unknown)}; known: {', '.join(TABLE)}")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

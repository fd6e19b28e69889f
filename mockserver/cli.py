"""Command line: `python -m mockserver serve [SPEC_OR_DIR ...]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import functools
import ipaddress
import logging
import socket
import sys
from collections.abc import Sequence

from starlette.applications import Starlette

from mockserver.app import DEFAULT_SPECS, ServerConfig, create_app
from mockserver.errors import MockServerError
from mockserver.state import is_shared, open_store

_DESCRIPTION = """\
Serve every OpenAPI document given (files or directories; default: the project's specs/)
as a spec-faithful mock. With several specs, each API is mounted under /<file stem>
followed by the path of its first server URL (e.g. /datagrid/v1/...); with a single spec
it is served at / plus its server path. GET / lists the APIs and their operations.
"""

_EPILOG = """\
Resources: POST on a collection creates (a new id, by the id field's schema), GET on an
item reads it, PATCH/PUT update it, DELETE removes it (then 404), GET on the collection
lists it (paged by the declared limit/offset/page/cursor parameters). The model is
inferred from the paths at start-up; GET / shows it.

Per request: unknown path 404, undeclared method 405, missing credentials 401, wrong
content type 415, body over the limit 413, invalid request 422 (in the declared error
shape where there is one, else FastAPI's). Send 'Prefer: code=429' (or example=NAME,
dynamic=true) to ask for another declared answer.

examples:
  python -m mockserver serve
  python -m mockserver serve specs/omi.yaml --port 8000 --token secret
"""


def _whole_number(text: str, minimum: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number above zero, with a clear message otherwise."""
    return _whole_number(text, 1, "a positive number")


def _non_negative_int(text: str) -> int:
    return _whole_number(text, 0, "zero or more")


def _port(text: str) -> int:
    value = positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is 1-65535, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockserver", description="A spec-faithful OpenAPI mock server.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve OpenAPI documents",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("targets", nargs="*", metavar="SPEC_OR_DIR", help=f"specs to serve (default: {DEFAULT_SPECS})")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=4010, help="port to listen on (default: 4010)")
    serve.add_argument("--seed", type=int, default=0, help="seed of the generated data (default: 0)")
    serve.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="TOKEN",
        help="accept only this credential (repeatable); default: any non-empty credential",
    )
    serve.add_argument(
        "--max-body-size",
        type=positive_int,
        default=1024 * 1024,
        metavar="BYTES",
        help="largest request body accepted, larger ones get 413 (default: 1048576)",
    )
    serve.add_argument(
        "--seed-items",
        type=_non_negative_int,
        default=3,
        metavar="N",
        help="generated items each listable collection starts with (default: 3)",
    )
    serve.add_argument(
        "--max-items",
        type=positive_int,
        default=10_000,
        metavar="N",
        help="items kept per collection; past it the least recently used is evicted (default: 10000)",
    )
    serve.add_argument(
        "--unknown-ids",
        choices=("auto", "generate", "404"),
        default="auto",
        help="an id never seen: 'generate' a resource for it, answer '404', or 'auto' (default): 404 where "
        "the API can create such resources and the operation declares a 404, else generate",
    )
    serve.add_argument(
        "--state",
        default="memory",
        metavar="URL",
        help="where resources live: 'memory' (default: this process, lost on exit), sqlite:///FILE.db "
        "(sqlite:////abs/path.db; kept across kills and restarts) or redis://HOST:PORT/N (shared by workers and hosts)",
    )
    serve.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        metavar="N",
        help="worker processes sharing the port; more than 1 needs --state sqlite or redis (default: 1)",
    )
    serve.add_argument(
        "--data",
        metavar="FILE",
        help="YAML or JSON fixtures: initial resources per API and collection, checked at start-up (default: none)",
    )
    serve.add_argument("--quiet", action="store_true", help="no per-request log lines")
    return parser


def bind_warning(host: str, tokens: Sequence[str]) -> str | None:
    """What to say when the mock listens beyond this machine with no `--token`."""
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if loopback or tokens:
        return None
    return (
        f"mockserver: warning: listening on {host} without --token: anyone who can reach it is let in "
        "with any credential"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s", stream=sys.stderr)
    warning = bind_warning(args.host, args.token)
    if warning is not None:
        print(warning, file=sys.stderr)
    config = ServerConfig(
        seed=args.seed,
        tokens=frozenset(args.token),
        max_body_size=args.max_body_size,
        log_requests=not args.quiet,
        seed_items=args.seed_items,
        max_items=args.max_items,
        unknown_ids=args.unknown_ids,
        state=args.state,
        data=args.data,
    )
    if args.workers > 1 and not is_shared(args.state):
        print(
            f"mockserver: error: --workers {args.workers} needs --state sqlite:///FILE.db or redis://HOST:PORT/N: "
            "with memory state each worker would keep its own, and clients would see them disagree",
            file=sys.stderr,
        )
        return 1
    try:
        app = create_app(args.targets or None, config)
        asyncio.run(probe(args.state))
    except MockServerError as exc:
        print(f"mockserver: error: {exc}", file=sys.stderr)
        return 1
    try:
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        sock = socket.create_server((args.host, args.port), family=family)
    except OSError as exc:
        why = "the port is already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        print(f"mockserver: error: cannot listen on {args.host}:{args.port}: {why}", file=sys.stderr)
        return 1
    import uvicorn

    apis = app.state.apis
    for api in apis:
        print(f"mockserver: {api.name} at http://{args.host}:{args.port}{api.prefix or '/'}", file=sys.stderr)
    # A local mock trusts no proxy: X-Forwarded-* headers are the client's own data.
    uvicorn_config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", proxy_headers=False)
    if args.workers > 1:  # each worker process (a new interpreter) builds the app anew: `worker_app`
        uvicorn_config.app = functools.partial(worker_app, args.targets or None, config, logging.getLogger().level)
        uvicorn_config.factory = True
        uvicorn_config.workers = args.workers
        from uvicorn.supervisors import Multiprocess

        Multiprocess(uvicorn_config, sockets=[sock]).run()
        return 0
    server = uvicorn.Server(uvicorn_config)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C after a graceful shutdown
        server.run(sockets=[sock])
    return 0


async def probe(url: str) -> None:
    """Open the store `url` names once and close it: an unreachable Redis or an unwritable
    SQLite file is a `StateError` before the server starts."""
    store = open_store(url)
    try:
        await store.get("~probe", "")
    finally:
        await store.close()


def worker_app(targets: list[str] | None, config: ServerConfig, log_level: int) -> Starlette:
    """The app of one `--workers` process (a new interpreter), as the parent built its own."""
    logging.basicConfig(level=log_level, format="%(message)s", stream=sys.stderr)
    return create_app(targets, config)

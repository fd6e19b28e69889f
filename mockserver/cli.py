"""Command line: `python -m mockserver serve [SPEC_OR_DIR ...]`."""

from __future__ import annotations

import argparse
import asyncio
import errno
import functools
import ipaddress
import logging
import math
import socket
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

from starlette.applications import Starlette

from mockserver import __version__
from mockserver.app import DEFAULT_SPECS, ServerConfig, create_app
from mockserver.errors import MockServerError
from mockserver.faults import parse_latency, parse_rate_limit
from mockserver.journal import DEFAULT_SIZE as DEFAULT_JOURNAL_SIZE
from mockserver.prefer import MAX_DELAY_MS
from mockserver.serving import ServeLimits, serve_uvicorn, use_limits
from mockserver.serving_granian import MIN_HEADER_BYTES, granian_installed, serve_granian
from mockserver.state import is_shared, open_store

T = TypeVar("T")
_DESCRIPTION = """\
Serve every OpenAPI document given (files or directories; default: the project's specs/)
as a spec-faithful mock. With a single spec, the API is served at / (as Prism does) and
also under the path of its first server URL (e.g. /v1/...); with several, each is mounted
under /<file stem> followed by its server path (e.g. /datagrid/v1/...). --base-path
replaces the server path and, for a single spec, is its only mount.

GET / lists the APIs, where each is mounted and its operations (GET /__mock/apis too,
which stays reachable when an API served at / declares GET / itself); each document is
at /openapi.json (several specs: /<file stem>/openapi.json). CORS is on: a page of any
origin may call the mock (--no-cors to turn it off).
"""

_EPILOG = f"""\
Resources: POST on a collection creates (a new id, by the id field's schema), GET on an
item reads it, PATCH/PUT update it, DELETE removes it (then 404), GET on the collection
lists it (paged by the declared limit/offset/page/cursor parameters). The model is
inferred from the paths at start-up; GET / shows it.

Per request: unknown path 404, undeclared method 405, missing credentials 401, wrong
content type 415, body over the limit 413, invalid request 422 (in the declared error
shape where there is one, else FastAPI's). Send 'Prefer: code=429' (or example=NAME,
dynamic=true) to ask for another declared answer, 'Prefer: delay=250' to answer after
250 ms (at most {MAX_DELAY_MS}), 'Prefer: fault=reset' to have the connection reset without an
answer.

Admin API (the mock's own, under /__mock/): GET /__mock/health, GET /__mock/requests
?api=&status=&limit= (the request journal: the last requests with their status and
validation problems). Off loopback it needs --admin-token (Authorization: Bearer TOKEN).
--dynamic makes 'Prefer: dynamic=true' the default.

examples:
  python -m mockserver serve
  python -m mockserver serve specs/omi.yaml --port 8000 --token secret
  python -m mockserver serve specs/datagrid.yaml --base-path / --token "My API Key"
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


def non_negative_int(text: str) -> int:
    return _whole_number(text, 0, "zero or more")


def _port(text: str) -> int:
    value = positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is 1-65535, got {value}")
    return value


def _parsed_by(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type from a parser that raises ValueError with a message."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def _share(text: str) -> float:
    try:
        value = float(text) if len(text) <= 20 else math.nan
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:  # NaN too
        raise argparse.ArgumentTypeError(f"expected a share from 0 to 1 such as 0.05, got {text[:20]!r}")
    return value


def _add_fault_flags(serve: argparse.ArgumentParser) -> None:
    faults = serve.add_argument_group("faults on purpose")
    faults.add_argument(
        "--latency",
        type=_parsed_by(parse_latency),
        default=None,
        metavar="MS[-MS]",
        help="wait a uniform random time on every request, e.g. 50-200 milliseconds (default: none)",
    )
    faults.add_argument(
        "--error-rate",
        type=_share,
        default=0.0,
        metavar="SHARE",
        help="answer this share of valid requests with one of the operation's declared 4xx/5xx "
        "responses, or 500 where it declares none, e.g. 0.05 (default: 0)",
    )
    faults.add_argument(
        "--rate-limit",
        type=_parsed_by(parse_rate_limit),
        default=None,
        metavar="N/UNIT",
        help="answer 429 (with Retry-After and X-RateLimit-*) past N requests per endpoint and method "
        "in a sliding window, e.g. 60/min, 10/s (default: none)",
    )


def _add_limit_flags(serve: argparse.ArgumentParser) -> None:
    defaults = ServeLimits()
    limits = serve.add_argument_group("limits")
    limits.add_argument(
        "--max-resource-bytes",
        type=positive_int,
        default=1024 * 1024,
        metavar="BYTES",
        help="largest stored resource (as JSON); an update past it gets 413 (default: 1048576)",
    )
    limits.add_argument(
        "--header-timeout",
        type=positive_int,
        default=int(defaults.header_timeout),
        metavar="SECONDS",
        help=f"time a client has to send the request line and headers, then 408 (default: {defaults.header_timeout:g})",
    )
    limits.add_argument(
        "--max-header-bytes",
        type=positive_int,
        default=defaults.max_header_bytes,
        metavar="BYTES",
        help=f"largest request line and headers, larger ones get 431 (default: {defaults.max_header_bytes})",
    )
    limits.add_argument(
        "--limit-concurrency",
        type=positive_int,
        default=defaults.limit_concurrency,
        metavar="N",
        help=f"connections and requests at once; past it 503 (default: {defaults.limit_concurrency})",
    )
    limits.add_argument(
        "--keep-alive-timeout",
        type=positive_int,
        default=defaults.keep_alive_timeout,
        metavar="SECONDS",
        help=f"an idle connection is closed after this (default: {defaults.keep_alive_timeout})",
    )
    limits.add_argument(
        "--shutdown-timeout",
        type=positive_int,
        default=defaults.shutdown_timeout,
        metavar="SECONDS",
        help="on SIGTERM or Ctrl-C, requests still running after this are cancelled "
        f"(default: {defaults.shutdown_timeout})",
    )


def _base_path(text: str) -> str:
    """An argparse type: an absolute URL path, normalised without its trailing `/` ("" for `/`)."""
    if not text.startswith("/") or any(c in text for c in "?#{} \t"):
        raise argparse.ArgumentTypeError(f"expected a URL path such as / or /v1, got {text!r}")
    return text.rstrip("/")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockserver", description="A spec-faithful OpenAPI mock server.")
    parser.add_argument("--version", action="version", version=f"mockserver {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("contract", help="test a deployment against its contract (mockserver contract --help)")
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
        type=non_negative_int,
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
        "--base-path",
        type=_base_path,
        default=None,
        metavar="PATH",
        help="serve under PATH instead of the server URL's path: with a single spec its only mount "
        "('/' for the root alone), with several /<file stem>PATH (default: a single spec at / and its "
        "server path, several at /<file stem><server path>)",
    )
    serve.add_argument(
        "--dynamic",
        action="store_true",
        help="generate every answer afresh, as if each request sent 'Prefer: dynamic=true' (like Prism's -d); "
        "a request's 'Prefer: dynamic=false' still gets the stable, stateful answer (default: off)",
    )
    serve.add_argument(
        "--no-cors",
        dest="cors",
        action="store_false",
        help="turn CORS off: no preflight answers, no Access-Control-* headers (default: CORS on, any origin)",
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
        "--server",
        choices=("uvicorn", "granian"),
        default="uvicorn",
        help="the HTTP server: uvicorn, or granian (Rust; pip install 'mockserver[granian]'), where a slow or "
        "idle client is closed after --header-timeout without a 408, --keep-alive-timeout has no equivalent "
        "(--header-timeout bounds idle connections), past --limit-concurrency connections wait instead of "
        "getting 503, --max-header-bytes is at least 8192, an encoded slash (%%2F) in a path is a slash and a "
        "header whose value is not ASCII is left out (default: uvicorn)",
    )
    serve.add_argument(
        "--data",
        metavar="FILE",
        help="YAML or JSON fixtures: initial resources per API and collection, checked at start-up (default: none)",
    )
    serve.add_argument("--quiet", action="store_true", help="no per-request log lines")
    serve.add_argument(
        "--admin-token",
        default=None,
        metavar="TOKEN",
        help="the admin API (/__mock/...) requires 'Authorization: Bearer TOKEN'; needed to listen "
        "beyond loopback (default: none, the admin API open on loopback)",
    )
    serve.add_argument(
        "--journal-size",
        type=non_negative_int,
        default=DEFAULT_JOURNAL_SIZE,
        metavar="N",
        help=f"requests the journal (GET /__mock/requests) keeps, 0 for none (default: {DEFAULT_JOURNAL_SIZE})",
    )
    _add_fault_flags(serve)
    _add_limit_flags(serve)
    return parser


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def admin_refusal(host: str, admin_token: str | None) -> str | None:
    """Why the mock will not listen on `host`: beyond loopback the admin API needs a token."""
    if admin_token or _is_loopback(host):
        return None
    return (
        f"mockserver: error: listening on {host} needs --admin-token: without it the admin API under "
        "/__mock/ (the request journal, the state) would be open to anyone who can reach the server"
    )


def bind_warning(host: str, tokens: Sequence[str]) -> str | None:
    """What to say when the mock listens beyond this machine with no `--token`."""
    if _is_loopback(host) or tokens:
        return None
    return (
        f"mockserver: warning: listening on {host} without --token: anyone who can reach it is let in "
        "with any credential"
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["contract"]:
        return _contract(argv[1:])
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s", stream=sys.stderr)
    refusal = admin_refusal(args.host, args.admin_token)
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 1
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
        max_resource_bytes=args.max_resource_bytes,
        admin_token=args.admin_token,
        journal_size=args.journal_size,
        latency=args.latency,
        error_rate=args.error_rate,
        rate_limit=args.rate_limit,
        base_path=args.base_path,
        cors=args.cors,
        dynamic=args.dynamic,
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
    if args.server == "granian":
        refusal = granian_refusal(args.max_header_bytes)
        if refusal is not None:
            print(refusal, file=sys.stderr)
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
    for api in app.state.apis:
        where = " and ".join(f"http://{args.host}:{args.port}{mount or '/'}" for mount in api.mounts)
        print(f"mockserver: {api.name} at {where}", file=sys.stderr)
    limits = ServeLimits(
        header_timeout=args.header_timeout,
        max_header_bytes=args.max_header_bytes,
        limit_concurrency=args.limit_concurrency,
        keep_alive_timeout=args.keep_alive_timeout,
        shutdown_timeout=args.shutdown_timeout,
    )
    # Each worker process (a new interpreter, or granian's worker) builds the app anew.
    build = functools.partial(worker_app, args.targets or None, config, logging.getLogger().level, limits)
    if args.server == "granian":
        host = sock.getsockname()[0]  # granian binds the port itself: the check is closed
        sock.close()
        serve_granian(build, host, args.port, limits, args.workers)
    else:
        serve_uvicorn(app, build, sock, limits, args.workers)
    return 0


def granian_refusal(max_header_bytes: int) -> str | None:
    """Why `--server granian` cannot be had: not installed, or a header limit below hyper's."""
    if not granian_installed():
        return "mockserver: error: --server granian needs granian: pip install 'mockserver[granian]'"
    if max_header_bytes < MIN_HEADER_BYTES:
        return (
            f"mockserver: error: --server granian needs --max-header-bytes of at least {MIN_HEADER_BYTES} "
            f"(its HTTP parser's smallest buffer), got {max_header_bytes}"
        )
    return None


def _contract(argv: list[str]) -> int:
    """`mockserver contract`: the contract suite, imported only here (the layering: `contracts`
    imports `mockserver`, never the reverse; and it needs the `contract` extra's test tools)."""
    try:
        from contracts.cli import main as contract_main
    except ImportError as exc:
        print(
            f"mockserver: error: the contract suite needs {exc.name or exc}: pip install 'mockserver[contract]'",
            file=sys.stderr,
        )
        return 1
    return contract_main(argv)


async def probe(url: str) -> None:
    """Open the store `url` names once and close it: an unreachable Redis or an unwritable
    SQLite file is a `StateError` before the server starts."""
    store = open_store(url)
    try:
        await store.get("~probe", "")
    finally:
        await store.close()


def worker_app(targets: list[str] | None, config: ServerConfig, log_level: int, limits: ServeLimits) -> Starlette:
    """The app of one `--workers` process (a new interpreter), as the parent built its own,
    with the parent's connection limits."""
    logging.basicConfig(level=log_level, format="%(message)s", stream=sys.stderr)
    use_limits(limits)
    return create_app(targets, config)

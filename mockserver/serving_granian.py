"""How the mock is served on granian (`--server granian`; the `granian` extra): a Rust HTTP
server (hyper) in front of the same app on granian's own interface, RSGI (see `rsgi`: where
it differs from uvicorn), with `ServeLimits` mapped onto its options.

    ServeLimits          granian                                 where it differs from uvicorn
    header_timeout       HTTP/1 header_read_timeout              the connection is closed, no 408
    max_header_bytes     HTTP/1 max_buffer_size (>= 8192)        431 and closed, as on uvicorn;
                                                                 also 431 past 100 header lines
    limit_concurrency    backpressure (connections per worker)   past it a connection waits in
                                                                 the listen backlog, no 503
    keep_alive_timeout   (none)                                  an idle keep-alive connection
                                                                 is closed after header_timeout
    shutdown_timeout     workers_kill_timeout                    the same: then the worker is
                                                                 killed, its requests dropped

The request body's size and time limits are the app's own (`body.BodyReader`), the same on
both servers. granian serves HTTP/1.1 only here (as uvicorn does), without lifespan events,
websockets or an access log.

granian binds the port itself, in each worker process (SO_REUSEPORT), and takes no socket
bound beforehand: the command line checks that the port is free, closes its check and hands
granian the address. Its supervisor process starts the workers, each of which builds the app
with `worker_app` (a picklable callable, as for uvicorn's `--workers`) and serves it through
`rsgi.RSGIApp`, and stops them on SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp

from mockserver.serving import ServeLimits

MIN_HEADER_BYTES = 8192  # hyper's smallest read buffer (it refuses a smaller one)


def granian_installed() -> bool:
    return importlib.util.find_spec("granian") is not None


def _log_config() -> dict[str, Any]:
    """granian's own logging (its handlers `console` and `access`) on stderr, beside the
    mock's, instead of stdout."""
    stderr = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    return {"handlers": {"console": {**stderr, "formatter": "generic"}, "access": {**stderr, "formatter": "access"}}}


def serve_granian(worker_app: Callable[[], ASGIApp], host: str, port: int, limits: ServeLimits, workers: int) -> None:
    """Serve the app each worker builds with `worker_app` on `host` (an IP address) and
    `port` until SIGTERM or Ctrl-C."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import Server

    from mockserver.rsgi import rsgi_app

    http1 = HTTP1Settings(
        header_read_timeout=round(limits.header_timeout * 1000),
        keep_alive=True,
        max_buffer_size=max(limits.max_header_bytes, MIN_HEADER_BYTES),
    )
    server = Server(
        "mockserver",  # a name only: `worker_app` loads the app
        address=host,
        port=port,
        interface=Interfaces.RSGI,
        workers=workers,
        http=HTTPModes.http1,
        websockets=False,
        http1_settings=http1,
        backpressure=limits.limit_concurrency,
        workers_kill_timeout=limits.shutdown_timeout,
        log_level=LogLevels.warning,
        log_access=False,
        log_dictconfig=_log_config(),
    )
    server.serve(target_loader=functools.partial(rsgi_app, worker_app), wrap_loader=False)

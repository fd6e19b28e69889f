"""Where the mock's time goes: `python -m bench.profile`.

in-process (default)  each API's update operation driven straight through the ASGI apps,
                      no sockets: application time per request of the bare reference and
                      of the mock, then pyinstrument's samples of the mock, summed by function.
--py-spy              the real server: the mock on 127.0.0.1 under load (wrk, or the Python
                      generator), py-spy attached for the run; functions by share of samples
                      and, with the server's CPU time per request, by microseconds per request.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.errors import BenchError
from bench.load import LoadSpec, PythonLoad, Wrk, find_or_install_wrk
from bench.servers import ServerPool, ServerProcess, free_port
from bench.throughput import mock_argv, reference_argv
from bench.workloads import ROOT, TOKEN, WORKLOADS, Workload, select

Stack = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Hotspots:
    total: float
    self_time: dict[str, float]
    inclusive: dict[str, float]

    def lines(self, top: int, per_request_us: float | None = None) -> Iterator[str]:
        def row(name: str, amount: float) -> str:
            share = amount / self.total if self.total else 0.0
            cost = "" if per_request_us is None else f"  {share * per_request_us:6.1f} us/req"
            return f"  {100 * share:5.1f}%{cost}  {name}"

        yield "by own time (self):"
        yield from (row(name, t) for name, t in _largest(self.self_time, top))
        yield "by time including callees:"
        yield from (row(name, t) for name, t in _largest(self.inclusive, top))


def _largest(amounts: dict[str, float], top: int) -> list[tuple[str, float]]:
    return sorted(amounts.items(), key=lambda item: -item[1])[:top]


def hotspots(stacks: Iterable[tuple[Stack, float]]) -> Hotspots:
    """Sum samples by function: own time (leaf) and time with callees (once per stack)."""
    own: dict[str, float] = {}
    inclusive: dict[str, float] = {}
    total = 0.0
    for stack, amount in stacks:
        if not stack:
            continue
        total += amount
        own[stack[-1]] = own.get(stack[-1], 0.0) + amount
        for name in set(stack):
            inclusive[name] = inclusive.get(name, 0.0) + amount
    return Hotspots(total, own, inclusive)


_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def short_name(function: str, file: str) -> str:
    file = re.sub(r"^.*/site-packages/", "", file)
    file = re.sub(r"^.*/lib/python3\.\d+/", "", file)
    file = file.removeprefix(str(ROOT) + "/")
    return f"{function} ({file})" if file else function


def parse_pyspy_raw(text: str) -> Iterator[tuple[Stack, float]]:
    """py-spy's `--format raw` (collapsed stacks): `frame;frame;... count` per line."""
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for frame in stack.split(";"):
            found = _FRAME.match(frame.strip())
            frames.append(short_name(found["function"], found["file"]) if found else frame.strip())
        yield tuple(frames), float(count)


# --- in-process ---------------------------------------------------------------------------------


def _scope(workload: Workload) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1"), (b"content-length", str(len(workload.body_bytes)).encode())]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in workload.headers().items()]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "http",
        "server": ("127.0.0.1", 4010),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "method": workload.method,
        "path": workload.path,
        "raw_path": workload.path.encode(),
        "query_string": b"",
        "headers": headers,
        "state": {},
    }


async def drive(app: Any, workload: Workload, requests: int) -> float:
    """CPU seconds per request of `requests` sequential calls of `app`; every answer must be 2xx."""
    scope = _scope(workload)
    message = {"type": "http.request", "body": workload.body_bytes, "more_body": False}
    statuses: set[int] = set()

    async def receive() -> dict[str, Any]:
        return message

    async def send(event: dict[str, Any]) -> None:
        if event["type"] == "http.response.start":
            statuses.add(event["status"])

    started = time.process_time()  # CPU time: other work on the machine does not count
    for _ in range(requests):
        await app(dict(scope), receive, send)
    elapsed = time.process_time() - started
    if not statuses <= set(range(200, 300)):
        raise BenchError(f"{workload.api}: the app answered {sorted(statuses)} in-process, expected 2xx")
    return elapsed / requests


def _pyinstrument_stacks(frame: Any, path: Stack = ()) -> Iterator[tuple[Stack, float]]:
    if frame.is_synthetic:  # "[self]", "[await]": time of the parent itself
        yield path, float(frame.time)
        return
    here = (*path, short_name(frame.function, frame.file_path_short or ""))
    children = list(frame.children)
    own = frame.time - sum(c.time for c in children)
    if own > 0:
        yield here, float(own)
    for child in children:
        yield from _pyinstrument_stacks(child, here)


def in_process(workloads: Sequence[Workload], requests: int, top: int) -> None:
    from pyinstrument import Profiler

    from bench.reference import create_reference_app
    from mockserver import create_app
    from mockserver.app import ServerConfig

    mock = create_app(config=ServerConfig(log_requests=False, tokens=frozenset({TOKEN})))
    reference = create_reference_app()

    async def compare() -> float:
        print(f"application CPU time per request, in-process ({requests} sequential requests each):")
        mock_times = []
        for w in workloads:
            await drive(reference, w, 200)
            await drive(mock, w, 200)
            ref, mine = await drive(reference, w, requests), await drive(mock, w, requests)
            print(
                f"  {w.api:<13} reference {ref * 1e6:6.1f} us   mock {mine * 1e6:6.1f} us   "
                f"mock - reference {(mine - ref) * 1e6:6.1f} us"
            )
            mock_times.append(mine)
        return sum(mock_times) / len(mock_times)

    async def profiled() -> None:
        for w in workloads:
            await drive(mock, w, requests)

    mean = asyncio.run(compare())
    profiler = Profiler(interval=0.0005, async_mode="disabled")
    profiler.start()
    asyncio.run(profiled())
    profiler.stop()
    root = profiler.last_session.root_frame() if profiler.last_session else None
    if root is None:
        raise BenchError("pyinstrument recorded no samples")
    spots = hotspots(_pyinstrument_stacks(root))
    names = ", ".join(w.api for w in workloads)
    print(f"\nthe mock in-process, pyinstrument, {names}; shares scaled to the unprofiled {mean * 1e6:.1f} us/req:")
    for line in spots.lines(top, per_request_us=mean * 1e6):
        print(line)


# --- py-spy on the running server -----------------------------------------------------------------


def find_pyspy() -> str:
    beside = Path(sys.executable).parent / "py-spy"
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        raise BenchError("py-spy is not installed: pip install 'py-spy>=0.4' (or use the in-process mode)")
    return found


def under_load(
    target: str, workload: Workload, duration: int, connections: int, rate: int, top: int, install: bool
) -> None:
    pyspy = find_pyspy()
    wrk = find_or_install_wrk(install, lambda text: print(text, file=sys.stderr))
    generator = Wrk(wrk) if wrk else PythonLoad()
    port = free_port()
    spec = LoadSpec(workload.method, workload.path, workload.headers(), workload.body_bytes, duration, connections)
    with ServerPool() as pool, tempfile.TemporaryDirectory(prefix="bench-pyspy-") as tmp:
        argv = mock_argv(port) if target == "mock" else reference_argv(port)
        server = pool.start(ServerProcess(target, argv, port, ROOT))
        server.wait_ready(lambda: _answers(port), 30.0, 0.05)
        generator.run(port, LoadSpec(spec.method, spec.path, spec.headers, spec.body, 1, connections))  # warm-up
        assert server.process is not None
        raw = Path(tmp) / "stacks.txt"
        argv = [
            pyspy,
            "record",
            "--pid",
            str(server.process.pid),
            "--format",
            "raw",
            "-o",
            str(raw),
            "--rate",
            str(rate),
            "--duration",
            str(duration),
            "--nonblocking",
        ]
        recorder = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        cpu_before = server.cpu_seconds()
        result = generator.run(port, spec)
        cpu_after = server.cpu_seconds()
        try:
            _, errors = recorder.communicate(timeout=duration + 30)
        except subprocess.TimeoutExpired:
            recorder.kill()
            raise BenchError("py-spy did not finish") from None
        if recorder.returncode != 0 or not raw.exists():
            raise BenchError(f"py-spy failed (exit {recorder.returncode}): {errors.strip()[-600:]}")
        spots = hotspots(parse_pyspy_raw(raw.read_text()))
    cpu_us = None
    if cpu_before is not None and cpu_after is not None and result.requests:
        cpu_us = (cpu_after - cpu_before) / result.requests * 1e6
    print(
        f"the {target} under {generator.name}, {workload.api}, {connections} connections, {duration} s: "
        f"{result.rps:,.0f} req/s, p99 {result.p99_ms:.2f} ms, errors {result.errors}"
        + ("" if cpu_us is None else f", CPU {cpu_us:.0f} us/req")
    )
    print(f"py-spy: {spots.total:.0f} samples at {rate} Hz (time in system calls included)")
    for line in spots.lines(top, per_request_us=cpu_us):
        print(line)


def _answers(port: int) -> bool:
    from bench.servers import call

    try:
        call(port, "GET", "/", timeout=2.0)
    except OSError:
        return False
    return True


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--api",
        action="append",
        choices=[w.api for w in WORKLOADS],
        metavar="NAME",
        help="profile this API's update (repeatable; default: all in-process, omi with --py-spy)",
    )
    parser.add_argument("--py-spy", action="store_true", help="profile the real server under load with py-spy")
    parser.add_argument(
        "--server", choices=("mock", "reference"), default="mock", help="which server --py-spy profiles (default mock)"
    )
    parser.add_argument("--requests", type=int, default=5000, help="in-process requests per API (default 5000)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load with --py-spy (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="connections with --py-spy (default 16)")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second (default 250)")
    parser.add_argument("--top", type=int, default=20, help="functions to list (default 20)")
    parser.add_argument("--no-install", action="store_true", help="do not install wrk when missing")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.py_spy:
            workload = select(args.api or ["omi"])[0]
            under_load(args.server, workload, args.duration, args.connections, args.rate, args.top, not args.no_install)
        else:
            in_process(select(args.api), args.requests, args.top)
    except BenchError as exc:
        print(f"bench.profile: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench.profile: interrupted; servers stopped", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""wrk, the load generator (Debian's package, installed by `make bench`), driven by a generated Lua
script that sets the request and whose done() prints one JSON line."""

import json
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bench import HOST, BenchError
from bench.workloads import Workload

_MARK = "BENCH_JSON "
_DONE = """
function done(s, latency, requests)
  local e = s.errors
  io.write(string.format('%s{"requests":%.0f,"seconds":%.6f,"p50_ms":%.4f,"p99_ms":%.4f,"errors":%.0f}\\n', "MARK",
    s.requests, s.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout + e.status))
end
""".replace("MARK", _MARK)


@dataclass(frozen=True, slots=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # answers with a status >= 400 (what wrk counts) plus socket errors

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def merge(slices: Sequence[LoadResult]) -> LoadResult:
    """Slices of one load as one: counts add up, p50 is the slices' median, p99 the worst slice's
    (percentiles do not add, so err on the high side)."""
    p50, p99 = statistics.median(r.p50_ms for r in slices), max(r.p99_ms for r in slices)
    requests, seconds = sum(r.requests for r in slices), sum(r.seconds for r in slices)
    return LoadResult(requests, seconds, p50, p99, sum(r.errors for r in slices))


def lua_string(text: str | bytes) -> str:
    """A Lua string literal: printable ASCII as is, every other byte as \\ddd."""
    data = text.encode() if isinstance(text, str) else text
    escaped = ("\\" + chr(b) if chr(b) in '"\\' else chr(b) if 32 <= b < 127 else f"\\{b:03d}" for b in data)
    return '"' + "".join(escaped) + '"'


def script(method: str, headers: Mapping[str, str], body: bytes) -> str:
    lines = [f"wrk.method = {lua_string(method)}", f"wrk.body = {lua_string(body)}"]
    lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()]
    return "\n".join(lines) + _DONE


def parse(output: str) -> LoadResult:
    """The line `script`'s done() prints."""
    for line in output.splitlines():
        if line.startswith(_MARK):
            return LoadResult(**json.loads(line.removeprefix(_MARK)))
    raise BenchError(f"wrk printed no summary line; its output was:\n{output.strip()[-1500:]}")


def run(port: int, w: Workload, seconds: int, connections: int) -> LoadResult:
    """`w` on `connections` keep-alive connections on one thread for `seconds` (2 s request timeout)."""
    if (wrk := shutil.which("wrk")) is None:
        raise BenchError("wrk is not installed: `make bench` installs it (Debian's package: apt-get install wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script(w.method, w.headers(), w.body_bytes))
        lua.flush()
        argv = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout=2s", "-s", lua.name]
        url = f"http://{HOST}:{port}{w.path}"
        done = subprocess.run([*argv, url], capture_output=True, text=True, timeout=seconds + 30)
    if done.returncode != 0:
        raise BenchError(f"wrk failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()[-800:]}")
    return parse(done.stdout)

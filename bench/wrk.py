"""Drive load with wrk (closed loop) and read its figures back through a Lua `done` hook."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.procs import BenchError

INSTALL_HINT = "wrk is not installed: apt-get install -y wrk (Debian/Ubuntu) or brew install wrk"

LUA_SCRIPT = r"""
-- POST the body file given after `--`; report figures as one JSON line.
function init(args)
  local file = assert(io.open(args[1], "rb"))
  wrk.method = "POST"
  wrk.body = file:read("*a")
  file:close()
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p95_us": %d,' ..
    ' "p99_us": %d, "max_us": %d, "mean_us": %.1f, "errors": %d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean,
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: throughput, latency percentiles (ms) and failures."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise BenchError(INSTALL_HINT)
    return path


def run_wrk(
    url: str,
    body_file: Path,
    *,
    seconds: float,
    connections: int,
    cpu: int | None,
    work_dir: Path,
    timeout_seconds: float = 10.0,
) -> WrkResult:
    """Closed-loop load: ``connections`` connections, one thread, for ``seconds``."""
    script = work_dir / "post.lua"
    if not script.exists():
        script.write_text(LUA_SCRIPT)
    argv = [
        *(["taskset", "-c", str(cpu)] if cpu is not None else []),
        require_wrk(),
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout_seconds:g}s",
        "-s",
        str(script),
        url,
        "--",
        str(body_file),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    figures = json.loads(line.removeprefix("WRK_JSON "))
    elapsed = figures["duration_us"] / 1e6
    return WrkResult(
        requests=figures["requests"],
        seconds=elapsed,
        rps=figures["requests"] / elapsed if elapsed else 0.0,
        p50_ms=figures["p50_us"] / 1000,
        p95_ms=figures["p95_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        errors=figures["errors"],
    )

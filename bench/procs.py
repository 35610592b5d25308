"""Benchmark child processes: start pinned to a core, wait until ready, sample /proc, stop."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """A benchmark step that cannot go on: a process that will not start, a wrong answer."""


@dataclass
class Service:
    """A started child process and where its output goes."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    started_at: float

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        """CPU time of the process and its live descendants (a supervisor's workers)."""
        return sum(_or_zero(cpu_seconds, pid) for pid in _tree(self.pid))

    def max_rss_mb(self) -> float:
        """Peak RSS of the process plus its live descendants' (each process's own peak)."""
        return sum(_or_zero(max_rss_mb, pid) for pid in _tree(self.pid))

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)


def start(
    name: str,
    command: Sequence[str],
    *,
    cpu: int | str | None,
    log_dir: Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Service:
    """Start ``command`` (pinned to ``cpu``, a core or a list, with taskset) with stdout/stderr
    to a log file."""
    argv = [*(["taskset", "-c", str(cpu)] if cpu is not None else []), *command]
    log = log_dir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env={**os.environ, **(env or {})},
        )
    return Service(name, process, log, time.monotonic())


def wait_ready(
    service: Service, url: str, *, body: bytes | None = None, timeout: float = 60.0
) -> float:
    """Poll ``url`` (GET, or POST ``body``) until it answers 200; seconds since the start."""
    deadline = service.started_at + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            tail = service.log.read_text(errors="replace")[-2000:]
            raise BenchError(f"{service.name} exited with {service.process.returncode}:\n{tail}")
        if http_status(url, body) == 200:
            return time.monotonic() - service.started_at
        time.sleep(0.01)
    raise BenchError(f"{service.name} not ready at {url} within {timeout:.0f} s")


def http_status(url: str, body: bytes | None = None) -> int:
    try:
        with urllib.request.urlopen(_request(url, body), timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0


def post_json(url: str, body: bytes, timeout: float = 30.0) -> bytes:
    with urllib.request.urlopen(_request(url, body), timeout=timeout) as response:
        return bytes(response.read())


def get(url: str, timeout: float = 10.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return bytes(response.read())


def _request(url: str, body: bytes | None) -> urllib.request.Request:
    headers = {"content-type": "application/json", "accept": "application/json"}
    return urllib.request.Request(url, data=body, headers=headers if body else {})


def _or_zero(read: Callable[[int], float], pid: int) -> float:
    try:
        return read(pid)
    except OSError:  # a descendant that exited meanwhile
        return 0.0


def _tree(pid: int) -> list[int]:
    """``pid`` and its live descendants."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):  # gone meanwhile
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def cpu_busy_seconds(cpu: int) -> float:
    """Non-idle time of one CPU so far, over every process (from /proc/stat)."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{cpu} "):
            user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, line.split()[1:9])
            return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS
    return 0.0


def max_rss_mb(pid: int, field: str = "VmHWM") -> float:
    """Peak resident set size (VmHWM) of the process, in MB; ``field="VmRSS"``: the current."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

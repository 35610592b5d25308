"""Prometheus registries: one per process, or files shared by a supervisor's worker processes.

With ``PROMETHEUS_MULTIPROC_DIR`` set (the router's supervisor sets it for its workers), every
metric value lives in a memory-mapped file of that folder and the supervisor serves the sum
of all workers on the metrics port; without it a process serves its own registry.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
OTHER = "other"


def multiprocess_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_ENV)
    return Path(value) if value else None


def new_registry() -> CollectorRegistry:
    """A registry for this process's metrics; with process, GC and platform metrics unless
    the process is a worker whose supervisor serves them."""
    registry = CollectorRegistry(auto_describe=True)
    if multiprocess_dir() is None:
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            registry.register(collector)
    return registry


def workers_registry(path: Path, extra: Iterable[Collector] = ()) -> CollectorRegistry:
    """What a supervisor serves: every worker's metrics summed, plus ``extra`` collectors."""
    registry = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(registry, path=str(path))  # type: ignore[no-untyped-call]
    for collector in extra:
        registry.register(collector)
    return registry


def forget_worker(pid: int, path: Path) -> None:
    """A worker exited: its live gauges (in flight, up) stop counting."""
    mark_process_dead(pid, str(path))  # type: ignore[no-untyped-call]


def serve(registry: CollectorRegistry, host: str, port: int) -> Any:
    """Serve ``/metrics`` from a daemon thread; returns the server (``.shutdown()`` stops it)."""
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return server


class BoundedLabel:
    """A label's values as given until ``limit`` distinct ones were seen, then ``other``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: str) -> str:
        if value in self._seen:
            return value
        with self._lock:
            if len(self._seen) >= self.limit:
                return OTHER
            self._seen.add(value)
        return value


class WorkerProcessCollector(Collector):
    """Resident memory and CPU seconds of each worker process, read from ``/proc``."""

    def __init__(self, pids: dict[int, int], prefix: str) -> None:
        self.pids = pids  # worker index → pid, kept current by the supervisor
        self.prefix = prefix
        self.tick = os.sysconf("SC_CLK_TCK")
        self.page = os.sysconf("SC_PAGE_SIZE")

    def collect(self) -> Iterator[Any]:
        memory = GaugeMetricFamily(
            f"{self.prefix}_worker_resident_memory_bytes",
            "Resident memory of each worker process.",
            labels=["worker"],
        )
        cpu = CounterMetricFamily(
            f"{self.prefix}_worker_cpu_seconds",
            "CPU seconds (user and system) used by each worker process.",
            labels=["worker"],
        )
        for index, pid in sorted(self.pids.items()):
            stat = _proc_stat(pid)
            if stat is None:
                continue
            ticks, pages = stat
            memory.add_metric([str(index)], pages * self.page)
            cpu.add_metric([str(index)], ticks / self.tick)
        yield memory
        yield cpu


def _proc_stat(pid: int) -> tuple[int, int] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12]), int(fields[21])

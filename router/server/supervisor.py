"""``workers: N``: a supervising parent with N router processes on one listening socket.

The parent binds the socket once and starts each worker as ``python -m switchboard`` with the
same arguments, the socket and a readiness pipe inherited (``WORKER_*`` environment). The
kernel hands each new connection to one worker; the parent never serves a request.

- A worker that exits unexpectedly is started again (sooner the longer it had run).
- SIGHUP: the configuration and supergraph are checked, then each worker in turn is
  replaced: the new one must be ready before the old one is told to drain. A broken
  configuration is logged and the old workers serve on.
- SIGTERM/SIGINT: every worker drains (``router.server.drain``); the parent exits when all
  have, killing any still running after their deadline.
- Metrics: workers write theirs to a shared folder (Prometheus multiprocess mode); the parent
  serves the sum, plus each worker's memory and CPU, on the metrics port.
"""

from __future__ import annotations

import logging
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from router.config import RouterConfig
from switchboard.telemetry import prometheus

logger = logging.getLogger("switchboard.router.supervisor")
SOCKET_ENV = "SWITCHBOARD_WORKER_SOCKET_FD"
READY_ENV = "SWITCHBOARD_WORKER_READY_FD"
INDEX_ENV = "SWITCHBOARD_WORKER_INDEX"
READY_TIMEOUT = 60.0
STOP_MARGIN = 5.0  # beyond a worker's own drain deadline, before it is killed


@dataclass
class Worker:
    index: int
    process: subprocess.Popen[bytes]
    ready_pipe: int  # read end; a byte arrives once the worker serves
    started: float

    @property
    def pid(self) -> int:
        return self.process.pid


def listening_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def worker_socket() -> tuple[socket.socket, Callable[[], None]] | None:
    """In a worker: the inherited listening socket and the call that reports readiness."""
    fd = os.environ.get(SOCKET_ENV)
    if not fd:
        return None
    sock = socket.socket(fileno=int(fd))
    ready_fd = int(os.environ[READY_ENV])

    def report_ready() -> None:
        os.write(ready_fd, b"1")
        os.close(ready_fd)

    return sock, report_ready


class Supervisor:
    def __init__(
        self,
        config: RouterConfig,
        argv: Sequence[str],
        check: Callable[[], RouterConfig],
    ) -> None:
        self.config = config
        self.argv = list(argv)  # ``switchboard`` arguments; workers get the same ones
        self.check = check  # reload: the configuration (and supergraph) anew, or raises
        self.workers: dict[int, Worker] = {}
        self.pids: dict[int, int] = {}  # index → pid, for the metrics collector
        self.metrics_dir = Path(tempfile.mkdtemp(prefix="switchboard-metrics-"))
        self.stopping = False
        self.reload_wanted = False
        self.sock: socket.socket | None = None
        self.failures: dict[int, int] = {}
        self.retiring: list[tuple[subprocess.Popen[bytes], float]] = []  # draining, deadline

    # Running -----------------------------------------------------------------------------

    def run(self) -> int:
        self.sock = listening_socket(self.config.host, self.config.port)
        metrics = None
        try:
            metrics = self._serve_metrics()
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, self._on_stop)
            signal.signal(signal.SIGHUP, self._on_hup)
            started = [self._start(index) for index in range(self.config.workers)]
            ready = [self._await_ready(worker) for worker in started]  # each pipe is closed
            if not all(ready):
                self._stop_all()
                return 1
            logger.info(
                "router on http://%s:%d/graphql with %d workers (pids %s)",
                self.config.host,
                self.sock.getsockname()[1],
                len(self.workers),
                ", ".join(str(w.pid) for w in self.workers.values()),
            )
            while not self.stopping:
                if self.reload_wanted:
                    self.reload_wanted = False
                    self._reload()
                self._replace_exited()
                self._reap_retiring()
                time.sleep(0.2)
            self._stop_all()
            return 0
        finally:
            if metrics is not None:
                metrics.shutdown()
            self.sock.close()
            shutil.rmtree(self.metrics_dir, ignore_errors=True)

    def _serve_metrics(self) -> Any:
        settings = self.config.telemetry.metrics
        if not settings.enabled:
            return None
        collector = prometheus.WorkerProcessCollector(self.pids, "switchboard_router")
        registry = prometheus.workers_registry(self.metrics_dir, [collector])
        server = prometheus.serve(registry, settings.host, settings.port)
        logger.info("metrics of all workers on http://%s:%d/metrics", settings.host, settings.port)
        return server

    def _on_stop(self, sig: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def _on_hup(self, _sig: int, _frame: FrameType | None) -> None:
        self.reload_wanted = True

    # Workers ------------------------------------------------------------------------------

    def _start(self, index: int) -> Worker:
        assert self.sock is not None
        read_end, write_end = os.pipe()
        env = {
            **os.environ,
            SOCKET_ENV: str(self.sock.fileno()),
            READY_ENV: str(write_end),
            INDEX_ENV: str(index),
            prometheus.MULTIPROC_ENV: str(self.metrics_dir),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "switchboard", *self.argv],
            env=env,
            pass_fds=(self.sock.fileno(), write_end),
        )
        os.close(write_end)
        worker = Worker(index, process, read_end, time.monotonic())
        self.workers[index] = worker
        self.pids[index] = process.pid
        return worker

    def _await_ready(self, worker: Worker, timeout: float = READY_TIMEOUT) -> bool:
        """True once ``worker`` reports it serves; False if it exits or times out first."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                readable, _, _ = select.select([worker.ready_pipe], [], [], 0.2)
                if readable:
                    if os.read(worker.ready_pipe, 1) == b"1":
                        return True
                    break  # end of file: the worker exited before it was ready
                if self.stopping:
                    break
            logger.error(
                "worker %d (pid %d) did not become ready", worker.index, worker.process.pid
            )
            _terminate(worker.process, 0)
            return False
        finally:
            os.close(worker.ready_pipe)

    def _replace_exited(self) -> None:
        for index, worker in list(self.workers.items()):
            code = worker.process.poll()
            if code is None:
                continue
            prometheus.forget_worker(worker.pid, self.metrics_dir)
            ran = time.monotonic() - worker.started
            self.failures[index] = 0 if ran > 30 else self.failures.get(index, 0) + 1
            pause = min(30.0, 0.5 * 2 ** self.failures[index]) if self.failures[index] else 0
            logger.error(
                "worker %d (pid %d) exited with %s after %.0fs; starting another in %.1fs",
                index, worker.pid, code, ran, pause,
            )  # fmt: skip
            time.sleep(pause)
            if not self.stopping:
                self._await_ready(self._start(index))

    def _reload(self) -> None:
        """SIGHUP: check the new configuration, then replace the workers one at a time."""
        try:
            config = self.check()
        except Exception as exc:  # a broken file is logged; the current workers serve on
            logger.error("SIGHUP: configuration not reloaded, workers serve on: %s", exc)
            return
        if (config.host, config.port) != (self.config.host, self.config.port):
            logger.warning("SIGHUP: host and port changes need a restart; keeping the socket")
        logger.info("SIGHUP: replacing %d workers one by one", len(self.workers))
        for index, old in sorted(self.workers.items()):
            new = self._start(index)
            if not self._await_ready(new):
                self.workers[index] = old
                self.pids[index] = old.pid
                logger.error("SIGHUP: a new worker failed; the remaining old workers serve on")
                return
            old.process.send_signal(signal.SIGTERM)  # drains while the others serve
            self.retiring.append((old.process, time.monotonic() + self._deadline()))
        logger.info("SIGHUP: every worker replaced; the old ones are draining")

    def _reap_retiring(self) -> None:
        for process, deadline in list(self.retiring):
            if process.poll() is None and time.monotonic() < deadline:
                continue
            _wait_or_kill(process, deadline)
            prometheus.forget_worker(process.pid, self.metrics_dir)
            self.retiring.remove((process, deadline))

    def _deadline(self) -> float:
        shutdown = self.config.shutdown
        return shutdown.delay_seconds + shutdown.grace_seconds + STOP_MARGIN

    def _stop_all(self) -> None:
        workers = list(self.workers.values())
        logger.info("stopping: %d workers drain in-flight requests", len(workers))
        if self.sock is not None:
            self.sock.close()  # once the workers close theirs, new connections are refused
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self._deadline()
        for worker in workers:
            _wait_or_kill(worker.process, deadline)
        for process, retiring_deadline in self.retiring:
            _wait_or_kill(process, retiring_deadline)
        self.workers.clear()
        self.retiring.clear()


def _terminate(process: subprocess.Popen[bytes], deadline_seconds: float) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    _wait_or_kill(process, time.monotonic() + deadline_seconds)


def _wait_or_kill(process: subprocess.Popen[bytes], deadline: float) -> None:
    try:
        process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        logger.error("worker pid %d outlived its drain deadline; killed", process.pid)
        process.kill()
        process.wait()

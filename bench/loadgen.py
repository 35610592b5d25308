"""A small HTTP/1.1 load generator: closed loop (N connections) or open loop (constant rate).

Each request's body and headers come from a callable, so every request can differ (varied
variables, a random `authorization` header, a new document each time), which wrk's fixed
body cannot do without Lua. Keep-alive connections on asyncio streams; responses parsed with
httptools (Content-Length and chunked alike). Open-loop latency is measured from the time a
request was *scheduled*, so a slow gateway cannot hide its queueing (no coordinated omission).

Run it in its own process pinned to the load core: `python -m bench.loadgen` is not a CLI;
`run_in_process` forks a child with the callable and returns the figures.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httptools

# (body, extra headers) for request number i
RequestFactory = Callable[[int], tuple[bytes, dict[str, str]]]
# checks a response body; '' if fine, else what is wrong
Checker = Callable[[int, bytes], str]


@dataclass
class LoadResult:
    """One load run: throughput, latency percentiles (ms), failures."""

    requests: int = 0
    seconds: float = 0.0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    first_error: str = ""
    wrong: int = 0
    first_wrong: str = ""
    dropped: int = 0  # open loop: not sent, every connection busy (counted in errors too)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]

    def summary(self) -> dict[str, float]:
        lat = self.latencies_ms
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p90_ms": round(self.percentile(90), 2),
            "p99_ms": round(self.percentile(99), 2),
            "max_ms": round(max(lat), 2) if lat else 0.0,
            "mean_ms": round(statistics.fmean(lat), 2) if lat else 0.0,
            "errors": self.errors,
            "wrong": self.wrong,
            "dropped": self.dropped,
        }


class _Response:
    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.done = False

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.done = True


class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, host: str, port: int, path: str) -> None:
        self.host, self.port, self.path = host, port, path
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port, limit=1 << 24
            )
        assert self.reader is not None
        assert self.writer is not None
        head = (
            f"POST {self.path} HTTP/1.1\r\nhost: {self.host}:{self.port}\r\n"
            "content-type: application/json\r\naccept: application/json\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            + f"content-length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        response = _Response()
        parser = httptools.HttpResponseParser(response)
        while not response.done:
            data = await self.reader.read(1 << 20)
            if not data:
                raise ConnectionError("connection closed mid-response")
            parser.feed_data(data)
        if not parser.should_keep_alive():
            self.close()
        return parser.get_status_code(), b"".join(response.chunks)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer = None


def _record(
    result: LoadResult, i: int, status: int, body: bytes, started: float, check: Checker | None
) -> None:
    result.latencies_ms.append((time.perf_counter() - started) * 1000)
    result.requests += 1
    problem = "" if status == 200 else f"HTTP {status}: {body[:200]!r}"
    if not problem and check is not None:
        problem = check(i, body)
        if problem:
            result.wrong += 1
            result.first_wrong = result.first_wrong or problem
    if problem:
        result.errors += 1
        result.first_error = result.first_error or problem


async def closed_loop(
    url: str,
    make: RequestFactory,
    *,
    connections: int,
    seconds: float,
    check: Checker | None = None,
    max_requests: int | None = None,
    request_timeout: float = 60.0,
) -> LoadResult:
    """``connections`` clients, each sending its next request when its answer arrives."""
    parts = urlsplit(url)
    result = LoadResult()
    counter = iter(range(max_requests if max_requests is not None else 1 << 62))
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        conn = Connection(parts.hostname or "127.0.0.1", parts.port or 80, parts.path)
        while time.perf_counter() < deadline:
            i = next(counter, None)
            if i is None:
                break
            body, headers = make(i)
            started = time.perf_counter()
            try:
                status, answer = await asyncio.wait_for(
                    conn.request(body, headers), request_timeout
                )
            except (OSError, TimeoutError, ConnectionError, httptools.HttpParserError) as exc:
                conn.close()
                result.errors += 1
                result.first_error = result.first_error or repr(exc)
                continue
            _record(result, i, status, answer, started, check)
        conn.close()

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    result.seconds = time.perf_counter() - began
    return result


async def open_loop(
    url: str,
    make: RequestFactory,
    *,
    rate: float,
    seconds: float,
    check: Checker | None = None,
    max_connections: int = 512,
    request_timeout: float = 60.0,
    drain_seconds: float = 5.0,
) -> LoadResult:
    """A request every 1/``rate`` s whatever the answers; latency from the scheduled time."""
    parts = urlsplit(url)
    result = LoadResult()
    idle: list[Connection] = []
    opened = 0
    pending: set[asyncio.Task[None]] = set()

    async def one(i: int, scheduled: float) -> None:
        nonlocal opened
        conn = idle.pop() if idle else None
        if conn is None:
            if opened >= max_connections:
                result.errors += 1
                result.dropped += 1
                result.first_error = result.first_error or "too many connections in flight"
                return
            opened += 1
            conn = Connection(parts.hostname or "127.0.0.1", parts.port or 80, parts.path)
        body, headers = make(i)
        try:
            status, answer = await asyncio.wait_for(conn.request(body, headers), request_timeout)
        except (OSError, TimeoutError, ConnectionError, httptools.HttpParserError) as exc:
            conn.close()
            opened -= 1
            result.errors += 1
            result.first_error = result.first_error or repr(exc)
            return
        _record(result, i, status, answer, scheduled, check)
        idle.append(conn)

    began = time.perf_counter()
    total = int(rate * seconds)
    for i in range(total):
        scheduled = began + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.ensure_future(one(i, scheduled))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:  # the tail: answers still due get a bounded wait, then count as errors
        await asyncio.wait(pending, timeout=min(request_timeout, drain_seconds))
    result.seconds = time.perf_counter() - began
    if pending:
        result.errors += len(pending)
        result.first_error = result.first_error or f"{len(pending)} unanswered at the end"
        for task in list(pending):
            task.cancel()
    for conn in idle:
        conn.close()
    return result


def _child(
    queue: multiprocessing.Queue[LoadResult], cpu: int | None, mode: str, kwargs: dict[str, object]
) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        pass
    runner = closed_loop if mode == "closed" else open_loop
    queue.put(asyncio.run(runner(**kwargs)))  # type: ignore[arg-type]


def run_in_process(mode: str, cpu: int | None, **kwargs: object) -> LoadResult:
    """Run ``closed_loop`` or ``open_loop`` in a forked child pinned to ``cpu``."""
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[LoadResult] = context.Queue()
    child = context.Process(target=_child, args=(queue, cpu, mode, kwargs))
    child.start()
    result = queue.get(timeout=float(kwargs.get("seconds", 60)) + 180)  # type: ignore[arg-type]
    child.join(10)
    return result

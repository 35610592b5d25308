"""Preparation off the event loop: parsing, validating and planning a new operation run here.

A cache miss can cost milliseconds to seconds of CPU; run on the event loop it would stall
every other request, `/health` included. Misses run on a small thread pool instead (the
loop keeps the GIL every few milliseconds), identical concurrent misses share one run, and
when too many wait the newest are refused with OVERLOADED rather than queued without end.
A run that outlives ``timeout`` is answered with QUERY_PLANNING_BUDGET_EXCEEDED; the
planner's own budget stops the work itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from router.errors import OVERLOADED, QUERY_PLANNING_BUDGET_EXCEEDED, RouterError
from router.executor.inflight import Inflight

T = TypeVar("T")


class Preparer:
    def __init__(self, *, threads: int = 2, max_waiting: int = 256, timeout: float = 10.0) -> None:
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="prepare")
        self.max_waiting = max_waiting
        self.timeout = timeout
        self.waiting = 0
        self._shared: Inflight[object] = Inflight()

    async def run(self, key: Hashable, work: Callable[[], T]) -> T:
        """``work()`` on a worker thread; callers with the same ``key`` share one run."""
        if self.waiting >= self.max_waiting:
            raise RouterError(OVERLOADED, "Too many new operations are being prepared.")
        self.waiting += 1
        try:
            result = await self._shared.run(key, lambda: self._off_loop(work))
        finally:
            self.waiting -= 1
        return result  # type: ignore[return-value]

    async def _off_loop(self, work: Callable[[], T]) -> T:
        future = asyncio.get_running_loop().run_in_executor(self.pool, work)
        try:
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            raise RouterError(
                QUERY_PLANNING_BUDGET_EXCEEDED,
                f"Preparing this operation took longer than {self.timeout:g} s.",
            ) from None

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)

"""Per-subgraph concurrency: a bounded number of requests in flight, and of requests waiting."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from .http1 import RequestTimedOut


class Overloaded(Exception):
    """The subgraph already has its limit of requests in flight and of requests waiting."""


class Gate:
    """At most ``limit`` requests in flight to one subgraph and ``queue`` more waiting.

    Beyond both, a request fails at once (Overloaded) instead of waiting behind requests
    that may be stuck on a dead subgraph; waiting counts against the request's deadline.
    """

    def __init__(self, limit: int, queue: int) -> None:
        self.limit = limit
        self.queue = queue
        self.in_flight = 0
        self.waiting = 0
        self._free = asyncio.Semaphore(limit)

    @contextlib.asynccontextmanager
    async def slot(self, deadline: float) -> AsyncIterator[None]:
        """Hold one slot; ``deadline`` is on the event loop's clock."""
        if self.in_flight >= self.limit:
            if self.waiting >= self.queue:
                raise Overloaded(f"{self.in_flight} requests in flight, {self.waiting} waiting")
            self.waiting += 1
            try:
                async with asyncio.timeout_at(deadline):
                    await self._free.acquire()
            except TimeoutError:
                raise RequestTimedOut("no free slot before the timeout") from None
            finally:
                self.waiting -= 1
        else:
            await self._free.acquire()
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self._free.release()

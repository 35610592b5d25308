"""Share one run of identical concurrent work among everyone waiting for it.

Used for identical in-flight subgraph queries and, when enabled, identical in-flight
client queries. The first caller starts the work as a task; callers with the same key
while it runs await the same task. A waiter that is cancelled (its client went away) does
not cancel the work for the others. Results must be immutable (bytes, frozen values).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Inflight(Generic[T]):
    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future[T]] = {}
        self.shared = 0  # callers that joined work already running

    async def run(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> T:
        running = self._running.get(key)
        if running is not None:
            self.shared += 1
            return await asyncio.shield(running)
        task = asyncio.ensure_future(work())
        self._running[key] = task
        task.add_done_callback(lambda done: self._settle(key, done))
        return await asyncio.shield(task)

    def _settle(self, key: Hashable, task: asyncio.Future[T]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if not task.cancelled():
            task.exception()  # retrieved here, in case every waiter was cancelled

    def __len__(self) -> int:
        return len(self._running)

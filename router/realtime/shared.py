"""One subgraph stream for identical subscriptions, fanned out to every client that asked.

Two client subscriptions are identical when the router would send the subgraph the same
thing: the same subgraph URL, operation, variables, forwarded headers (``HeaderRules``
fingerprint) and identity (subject and scopes, which is all the signed
``X-Switchboard-Identity`` says). They then share one WebSocket to the subgraph; each client
still runs the plan's rest (entity fetches, authorization already applied to its own
operation) on its own copy of every event. Identities never share a stream.

A client that joins a running stream first gets the stream's latest event, when there was
one and ``replay_latest`` is on: a subgraph that sends an entity's state at subscribe time
and on each change (ours do) then looks the same to the second client as to the first.
The stream closes when its last client leaves, or ends for everyone (complete, or
``StreamClosed``) when the subgraph ends it. A client that falls ``MAX_PENDING`` events
behind is cut off with ``StreamClosed`` rather than buffering without bound.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable, Hashable
from contextlib import aclosing
from typing import Any

import orjson

from router.realtime.subgraph_ws import StreamClosed

logger = logging.getLogger("switchboard.router")
Payload = dict[str, Any]
Source = Callable[[], AsyncGenerator[Payload, None]]
MAX_PENDING = 1024
_Item = bytes | StreamClosed | None  # an event, the stream's failure, or its completion


class _Shared:
    """One subgraph stream and the queues of the clients reading it."""

    def __init__(self, source: AsyncGenerator[Payload, None], on_end: Callable[[], None]) -> None:
        self.queues: set[asyncio.Queue[_Item]] = set()
        self.latest: bytes | None = None
        self.ended = False
        self._on_end = on_end
        self.task = asyncio.create_task(self._pump(source))

    async def _pump(self, source: AsyncGenerator[Payload, None]) -> None:
        outcome: StreamClosed | None = None
        try:
            async with aclosing(source) as payloads:
                async for payload in payloads:
                    self.latest = orjson.dumps(payload)
                    for queue in list(self.queues):
                        self._deliver(queue, self.latest)
        except StreamClosed as closed:
            outcome = closed
        except Exception:  # a bug, not the subgraph: still end every client's stream
            logger.exception("a shared subscription stream failed")
            outcome = StreamClosed("the router's stream failed")
        finally:
            self.ended = True
            self._on_end()
        for queue in list(self.queues):
            queue.put_nowait(_copy(outcome) if outcome is not None else None)

    def _deliver(self, queue: asyncio.Queue[_Item], event: bytes) -> None:
        if queue.qsize() < MAX_PENDING:
            queue.put_nowait(event)
            return
        self.queues.discard(queue)  # cut off: the failure comes next, not stale events
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(StreamClosed(f"the client fell {MAX_PENDING} events behind the stream"))

    def join(self, replay: bool) -> asyncio.Queue[_Item]:
        queue: asyncio.Queue[_Item] = asyncio.Queue()
        if replay and self.latest is not None:
            queue.put_nowait(self.latest)
        self.queues.add(queue)
        return queue

    async def leave(self, queue: asyncio.Queue[_Item]) -> None:
        self.queues.discard(queue)
        if self.queues or self.task.done():
            return
        self.task.cancel()
        await asyncio.wait({self.task})  # the subgraph is told; our own cancellation still raises


class SharedStreams:
    """The subgraph streams running on this router process, by what makes them identical."""

    def __init__(self, *, replay_latest: bool = True) -> None:
        self.replay_latest = replay_latest
        self._streams: dict[Hashable, _Shared] = {}
        self.opened = 0  # subgraph streams opened (for tests and metrics)

    def __len__(self) -> int:
        return len(self._streams)

    async def events(self, key: Hashable, source: Source) -> AsyncGenerator[Payload, None]:
        """The payloads of the stream ``key`` names; ``source()`` opens it if none runs."""
        shared = self._streams.get(key)
        if shared is None or shared.ended:
            shared = self._open(key, source)
        queue = shared.join(self.replay_latest)
        try:
            while True:
                item = await queue.get()
                if item is None:
                    return
                if isinstance(item, StreamClosed):
                    raise item
                yield orjson.loads(item)
        finally:
            await shared.leave(queue)

    def _open(self, key: Hashable, source: Source) -> _Shared:
        def forget() -> None:
            if self._streams.get(key) is shared:
                del self._streams[key]

        shared = _Shared(source(), forget)
        self._streams[key] = shared
        self.opened += 1
        return shared


def _copy(closed: StreamClosed) -> StreamClosed:
    """Each client raises its own exception (a traceback belongs to one task)."""
    return StreamClosed(closed.reason, list(closed.errors))

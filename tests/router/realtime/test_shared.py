"""Shared subgraph streams: one source per key, every reader gets every event, in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from router.realtime import shared as shared_module
from router.realtime.shared import SharedStreams
from router.realtime.subgraph_ws import StreamClosed

Payload = dict[str, Any]


class Source:
    """A subgraph stream the test feeds: ``send`` an event, ``fail`` it, ``complete`` it."""

    def __init__(self) -> None:
        self.opened = 0
        self.closed = 0
        self.queue: asyncio.Queue[Payload | StreamClosed | None] = asyncio.Queue()

    def __call__(self) -> AsyncGenerator[Payload, None]:
        self.opened += 1
        return self._events()

    async def _events(self) -> AsyncGenerator[Payload, None]:
        try:
            while (item := await self.queue.get()) is not None:
                if isinstance(item, StreamClosed):
                    raise item
                yield item
        finally:
            self.closed += 1

    def send(self, n: int) -> None:
        self.queue.put_nowait({"data": {"n": n}})


async def take(reader: AsyncGenerator[Payload, None], count: int) -> list[int]:
    return [(await anext(reader))["data"]["n"] for _ in range(count)]


async def test_readers_of_one_key_share_one_source_until_the_last_leaves() -> None:
    streams, source = SharedStreams(), Source()
    first = streams.events("k", source)
    source.send(1)
    assert await take(first, 1) == [1]
    second = streams.events("k", source)
    source.send(2)
    source.send(3)
    assert await take(second, 3) == [1, 2, 3]  # the latest first, then every event
    assert await take(first, 2) == [2, 3]
    assert source.opened == 1

    await first.aclose()
    source.send(4)
    assert await take(second, 1) == [4]
    assert source.closed == 0
    await second.aclose()
    assert (source.opened, source.closed, len(streams)) == (1, 1, 0)


async def test_other_keys_get_their_own_source() -> None:
    streams, sources = SharedStreams(), (Source(), Source())
    one, other = streams.events("one", sources[0]), streams.events("other", sources[1])
    sources[0].send(1)
    sources[1].send(2)
    assert (await take(one, 1), await take(other, 1)) == ([1], [2])
    assert (streams.opened, len(streams)) == (2, 2)
    await one.aclose()
    await other.aclose()


async def test_without_replay_a_joiner_gets_only_later_events() -> None:
    streams, source = SharedStreams(replay_latest=False), Source()
    first = streams.events("k", source)
    source.send(1)
    assert await take(first, 1) == [1]
    second = streams.events("k", source)
    waiting = asyncio.ensure_future(anext(second))  # joins before the next event
    await asyncio.sleep(0)
    source.send(2)
    assert (await waiting)["data"]["n"] == 2
    await first.aclose()
    await second.aclose()


async def test_a_dropped_source_fails_every_reader_and_the_next_reader_opens_a_new_one() -> None:
    streams, source = SharedStreams(), Source()
    readers = [streams.events("k", source) for _ in range(2)]
    source.send(0)
    for reader in readers:
        assert await take(reader, 1) == [0]  # the second: the latest, replayed
    source.queue.put_nowait(StreamClosed("gone", [{"message": "bye"}]))
    for reader in readers:
        with pytest.raises(StreamClosed) as failed:
            await anext(reader)
        assert (failed.value.reason, failed.value.errors) == ("gone", [{"message": "bye"}])
    assert len(streams) == 0
    again = streams.events("k", source)
    source.send(5)
    assert await take(again, 1) == [5]
    assert source.opened == 2
    await again.aclose()


async def test_a_completed_source_completes_every_reader() -> None:
    streams, source = SharedStreams(), Source()
    reader = streams.events("k", source)
    source.send(1)
    source.queue.put_nowait(None)
    assert [p["data"]["n"] async for p in reader] == [1]


async def test_a_reader_that_falls_behind_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared_module, "MAX_PENDING", 3)
    streams, source = SharedStreams(), Source()
    slow, fast = streams.events("k", source), streams.events("k", source)
    source.send(0)
    assert await take(slow, 1) == [0]
    assert await take(fast, 1) == [0]
    for n in range(1, 6):  # the fast reader keeps up, the slow one reads nothing
        source.send(n)
        assert await take(fast, 1) == [n]
    with pytest.raises(StreamClosed, match="behind"):
        await anext(slow)
    source.send(6)
    assert await take(fast, 1) == [6]
    await fast.aclose()
    await slow.aclose()

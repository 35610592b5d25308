"""RequestDb: one connection at a time, released between uses, closed only when idle."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from subgraphs.common.db import (
    NestedConnection,
    PoolSettings,
    RequestClosed,
    RequestDb,
    create_engine,
    session_factory,
)


async def test_a_read_gives_its_connection_back(tmp_path: Path) -> None:
    engine = create_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", pool=PoolSettings(1, 0, 2)
    )
    sessions = session_factory(engine)
    try:
        first, second = RequestDb(sessions), RequestDb(sessions)
        async with first.read() as session:
            assert await session.scalar(text("SELECT 1")) == 1
        # With a pool of one, this would time out if `first` still held the connection.
        async with second.transaction() as session:
            assert await session.scalar(text("SELECT 2")) == 2
        async with first.read() as session:
            assert await session.scalar(text("SELECT 3")) == 3
        await first.close()
        await second.close()
    finally:
        await engine.dispose()


async def test_using_a_second_session_inside_the_first_is_refused(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    sessions = session_factory(engine)
    outer, inner = RequestDb(sessions), RequestDb(sessions)
    try:
        async with outer.read():
            with pytest.raises(NestedConnection):
                async with inner.read():
                    pass
    finally:
        await outer.close()
        await inner.close()
        await engine.dispose()


async def test_close_waits_for_the_user_and_refuses_later_ones(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    db = RequestDb(session_factory(engine))
    reading = asyncio.Event()
    try:

        async def slow_read() -> int:
            async with db.read() as session:
                reading.set()
                await asyncio.sleep(0.05)
                return int(await session.scalar(text("SELECT 7")) or 0)

        task = asyncio.create_task(slow_read())
        await reading.wait()
        await db.close()  # waits for slow_read instead of closing under it
        assert await task == 7
        with pytest.raises(RequestClosed):
            async with db.read():
                pass
    finally:
        await engine.dispose()

"""Change notices: recorded by the session that changes a watched row, sent after its commit."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import String, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.common.db import RequestDb, create_engine, session_factory
from subgraphs.common.realtime import Listener, changes_of, owned_changes_of, watching


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "things"
    id: Mapped[str] = mapped_column(String(10), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))


def pending(listener: Listener) -> list[dict[str, object]]:
    found = []
    while not listener.queue.empty():
        found.append(listener.queue.get_nowait())
    return found  # type: ignore[return-value]


async def test_commits_notify_and_rollbacks_do_not(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'things.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    db = RequestDb(session_factory(engine))
    try:
        async with watching((Thing,), None, "test") as bus:
            listener = bus.listen()
            async with db.transaction() as session:
                session.add(Thing(id="t1", status="NEW"))
            assert pending(listener) == [{"table": "things", "id": "t1"}]

            async with db.transaction() as session:
                await session.execute(update(Thing).where(Thing.id == "t1").values(status="OLD"))
            assert pending(listener) == [{"table": "things", "id": "t1"}]

            async with db.transaction() as session:  # no id in the condition: "some row"
                await session.execute(update(Thing).where(Thing.status == "OLD").values(status="X"))
            assert pending(listener) == [{"table": "things", "id": None}]

            try:
                async with db.transaction() as session:
                    await session.execute(update(Thing).values(status="GONE"))
                    raise RuntimeError("roll back")
            except RuntimeError:
                pass
            assert pending(listener) == []
            listener.close()
    finally:
        await db.close()
        await engine.dispose()


async def test_a_subscriber_gets_the_current_state_then_each_change_once() -> None:
    async with watching((Thing,), None, "test") as bus:
        states = iter(["NEW", "NEW", "PAID"])  # a notice that changes nothing is not an event

        async def load() -> str:
            return next(states)

        stream = changes_of(bus, "things", "t1", load, lambda s: s)
        assert await anext(stream) == "NEW"
        following = asyncio.ensure_future(anext(stream))  # its listener holds what comes
        bus.publish_nowait({"table": "other", "id": "t1"})
        bus.publish_nowait({"table": "things", "id": "t2"})
        bus.publish_nowait({"table": "things", "id": "t1"})
        bus.publish_nowait({"table": "things", "id": None})
        assert await following == "PAID"
        await stream.aclose()


async def test_an_owner_stream_sends_each_owned_row_as_it_changes() -> None:
    rows = {"t1": ("c1", "OPEN"), "t2": ("c2", "OPEN"), "t3": ("c1", "OPEN")}

    async def load(row_id: str) -> tuple[str, str, str] | None:
        found = rows.get(row_id)
        return (row_id, *found) if found else None

    async with watching((Thing,), None, "test") as bus:
        stream = owned_changes_of(bus, "things", "c1", load, lambda r: r[1], lambda r: r[2])
        following = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0)  # let the stream start listening: nothing is sent at first
        rows["t2"] = ("c2", "PAID")
        bus.publish_nowait({"table": "things", "id": "t2"})  # another owner's
        bus.publish_nowait({"table": "things", "id": None})  # not followed
        bus.publish_nowait({"table": "things", "id": "t9"})  # no such row
        rows["t1"] = ("c1", "PAID")
        bus.publish_nowait({"table": "things", "id": "t1"})
        assert await following == ("t1", "c1", "PAID")
        bus.publish_nowait({"table": "things", "id": "t1"})  # unchanged since
        rows["t3"] = ("c1", "VOID")
        bus.publish_nowait({"table": "things", "id": "t3"})
        assert await anext(stream) == ("t3", "c1", "VOID")
        await stream.aclose()

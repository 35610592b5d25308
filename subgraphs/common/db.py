"""Database engines and the per-request session.

One ``AsyncSession`` per request, never used by two resolvers at once: strawberry resolves
sibling fields concurrently, so every use goes through ``RequestDb``'s lock. Writes run in
``RequestDb.transaction()``; on SQLite that transaction starts with ``BEGIN IMMEDIATE`` so
two writers queue on the database lock instead of failing half-way.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

_IMMEDIATE = "switchboard_begin_immediate"


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine for ``url``; SQLite gets WAL, a busy timeout and real BEGINs."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, echo=echo, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class RequestDb:
    """The one database session of a request, handed out one user at a time."""

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = factory
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """Exclusive use of the session for reads."""
        async with self._lock:
            yield self._get()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Exclusive use of the session inside a write transaction, committed on success."""
        async with self._lock:
            session = self._get()
            if session.in_transaction():
                await session.commit()  # end the read snapshot before writing
            await session.connection(execution_options={_IMMEDIATE: True})
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    def _get(self) -> AsyncSession:
        if self._session is None:
            self._session = self._factory()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

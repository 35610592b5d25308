"""Database engines and the per-request session.

One ``AsyncSession`` per request, never used by two resolvers at once: strawberry resolves
sibling fields concurrently, so every use goes through ``RequestDb``'s lock. Writes run in
``RequestDb.transaction()``; on SQLite that transaction starts with ``BEGIN IMMEDIATE`` so
two writers queue on the database lock instead of failing half-way.

A request holds a pooled connection only inside ``read()`` or ``transaction()``: each ends
its transaction on the way out, which hands the connection back to the pool. So a request
that calls the bank or a peer service in between holds no connection meanwhile, and no
request ever needs two at once (which is what deadlocked a full pool: every request holding
one and waiting for a second). Entering a second ``RequestDb`` while the current task is
inside another one's ``read()``/``transaction()`` is refused with ``NestedConnection``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
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

from .errors import BadUserInput

logger = logging.getLogger("switchboard.db")

_IMMEDIATE = "switchboard_begin_immediate"
# The RequestDb whose connection the current task is using, if any.
_HOLDING: ContextVar[RequestDb | None] = ContextVar("switchboard_holding", default=None)


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """How many connections an engine keeps (``size``), may open beyond that (``overflow``),
    and how long a checkout waits for one (``timeout`` seconds) before failing."""

    size: int = 10
    overflow: int = 10
    timeout: float = 30.0


# For a background loop (an outbox sender, a dispatcher): one connection at a time.
BACKGROUND_POOL = PoolSettings(size=1, overflow=1)


def create_engine(url: str, *, echo: bool = False, pool: PoolSettings | None = None) -> AsyncEngine:
    """An async engine for ``url``; SQLite gets WAL, a busy timeout and real BEGINs."""
    parsed = make_url(url)
    if echo:  # through the process's handler (redacted); echo=True would add its own, unredacted
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    sizes = pool or PoolSettings()
    pooling: dict[str, Any] = {
        "pool_size": sizes.size,
        "max_overflow": sizes.overflow,
        "pool_timeout": sizes.timeout,
    }
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(url, pool_pre_ping=True, **pooling)
        _refuse_nul_text(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    else:
        pooling = {}  # one shared in-memory database: SQLAlchemy's static pool
    engine = create_async_engine(url, connect_args={"timeout": 30}, **pooling)
    _configure_sqlite(engine)
    _refuse_nul_text(engine)
    return engine


def _refuse_nul_text(engine: AsyncEngine) -> None:
    """Text holding U+0000 is the client's error on every backend (BAD_USER_INPUT), whatever
    query carries it: PostgreSQL cannot store the character and fails the statement (an
    INTERNAL_SERVER_ERROR before this), and SQLite would store what PostgreSQL refuses."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _check(
        _conn: Any, _cursor: Any, _sql: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        for values in parameters if many else (parameters,):
            if isinstance(values, dict):
                values = values.values()
            elif not isinstance(values, list | tuple):
                values = (values,)
            if any(isinstance(value, str) and "\x00" in value for value in values):
                raise BadUserInput("Text must not contain the NUL character (U+0000).")


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


class NestedConnection(RuntimeError):
    """A programmer error: code inside one ``RequestDb`` use opened another one."""


class RequestClosed(RuntimeError):
    """The request is over (its response is sent); a resolver still running may not read."""


class RequestDb:
    """The one database session of a request, handed out one user at a time."""

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = factory
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """Exclusive use of the session for reads; the connection goes back on exit."""
        async with self._use() as session:
            try:
                yield session
            except BaseException:
                await _end(session, failed=True)
                raise
            await _end(session)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Exclusive use of the session inside a write transaction, committed on success."""
        async with self._use() as session:
            if session.in_transaction():
                await session.commit()  # end a read snapshot before writing
            await session.connection(execution_options={_IMMEDIATE: True})
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    @asynccontextmanager
    async def _use(self) -> AsyncIterator[AsyncSession]:
        holding = _HOLDING.get()
        if holding is not None and holding is not self:
            raise NestedConnection("this task already uses another session's connection")
        async with self._lock:
            if self._closed:
                raise RequestClosed("the request has finished")
            token = _HOLDING.set(self)
            try:
                yield self._get()
            finally:
                _HOLDING.reset(token)

    def _get(self) -> AsyncSession:
        if self._session is None:
            self._session = self._factory()
        return self._session

    async def close(self) -> None:
        """Wait for the current user, then close; later users get ``RequestClosed``.

        Never raises: a connection that a cancelled resolver left broken is discarded.
        """
        self._closed = True
        async with self._lock:
            session, self._session = self._session, None
        if session is None:
            return
        try:
            await session.close()
        except Exception as exc:  # the connection is unusable; the pool replaces it
            logger.warning("discarding a broken connection: %s: %s", type(exc).__name__, exc)
            with contextlib.suppress(Exception):
                await session.invalidate()


async def _end(session: AsyncSession, *, failed: bool = False) -> None:
    """End a read's transaction, keeping loaded rows usable, and release its connection.

    A read writes nothing, so committing it is safe, and unlike a rollback it expires no
    row another resolver of the request still holds. If even that fails, roll back; on the
    way out of a failed read (``failed``) the first error is the one that propagates.
    """
    if not session.in_transaction():
        return
    try:
        await session.commit()
    except Exception:
        with contextlib.suppress(Exception):
            await session.rollback()
        if not failed:
            raise

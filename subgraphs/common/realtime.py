"""Change notices for GraphQL subscriptions: captured at commit, fanned out through a bus.

A service names the tables its subscriptions watch (``Watched``). Every ORM session of the
process records the rows of those tables it changes: objects flushed, and ``update(Model)``
statements (the id is read from a ``Model.id == value`` or ``Model.id.in_(…)`` condition;
otherwise the notice says "some row", ``id: null``). After the commit, and only then, one
notice per row goes to the bus: a rolled-back change notifies nobody.

A notice carries the table and the row id, never the row: a subscriber reloads what it
watches and yields only when its state changed, so a duplicate or a spurious notice costs a
read, never a wrong event. ``LocalBus`` fans out inside the process (``make run``);
``RedisBus`` publishes through Redis pub/sub, so a change committed by any process of the
service reaches subscribers served by any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList

from .errors import Forbidden, ServiceUnavailable

logger = logging.getLogger("switchboard.realtime")

Notice = dict[str, Any]  # {"table": name, "id": row id or None}
SUBSCRIBER_QUEUE = 256  # notices a slow subscriber may lag behind before it is cut off
_PENDING = "switchboard_realtime_pending"


class BrokerLost(ServiceUnavailable):
    """The bus stopped delivering (the broker went away, or a subscriber fell too far
    behind); the subscription ends with SERVICE_UNAVAILABLE: subscribe again."""


class Listener:
    """One subscriber's queue of notices, registered from construction on."""

    def __init__(self, listeners: set[Listener]) -> None:
        self.queue: asyncio.Queue[Notice | BaseException] = asyncio.Queue(SUBSCRIBER_QUEUE)
        self._listeners = listeners
        listeners.add(self)

    def __aiter__(self) -> Listener:
        return self

    async def __anext__(self) -> Notice:
        item = await self.queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self._listeners.discard(self)


class Bus(Protocol):
    def publish_nowait(self, notice: Notice) -> None: ...

    def listen(self) -> Listener: ...


class LocalBus:
    """In-process fan-out: each listener gets its own bounded queue of notices."""

    def __init__(self) -> None:
        self._listeners: set[Listener] = set()

    def publish_nowait(self, notice: Notice) -> None:
        self.deliver(notice)

    def deliver(self, item: Notice | BaseException) -> None:
        for listener in list(self._listeners):
            queue = listener.queue
            if queue.full():  # a stuck listener: cut it off rather than grow without bound
                listener.close()
                with contextlib.suppress(asyncio.QueueEmpty, asyncio.QueueFull):
                    queue.get_nowait()
                    queue.put_nowait(BrokerLost("the subscriber fell too far behind"))
                continue
            queue.put_nowait(item)

    def listen(self) -> Listener:
        return Listener(self._listeners)


class RedisBus:
    """Redis pub/sub on one channel per service; one reader connection per process."""

    def __init__(self, url: str, channel: str) -> None:
        import redis.asyncio as aioredis

        self.channel = channel
        self._client = aioredis.from_url(url, socket_connect_timeout=2)
        self._local = LocalBus()
        self._outgoing: asyncio.Queue[Notice] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._lost: BaseException | None = None

    async def start(self) -> None:
        pubsub = self._client.pubsub()
        await pubsub.subscribe(self.channel)  # fails here, at startup, if Redis is down
        self._tasks = [
            asyncio.create_task(self._read(pubsub)),
            asyncio.create_task(self._write()),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._client.aclose()

    def publish_nowait(self, notice: Notice) -> None:
        self._outgoing.put_nowait(notice)

    def listen(self) -> Listener:
        if self._lost is not None:
            raise BrokerLost("the event broker is unavailable")
        return self._local.listen()

    async def _write(self) -> None:
        while True:
            notice = await self._outgoing.get()
            try:
                await self._client.publish(self.channel, json.dumps(notice))
            except Exception as exc:  # the change is committed; its notice is lost
                logger.warning("cannot publish a change notice: %s", type(exc).__name__)

    async def _read(self, pubsub: Any) -> None:
        try:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    self._local.deliver(json.loads(message["data"]))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("the event broker went away: %s", type(exc).__name__)
            self._lost = exc
            self._local.deliver(BrokerLost("the event broker went away"))
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()


@dataclass(frozen=True)
class Watched:
    """The mapped classes whose committed changes ``bus`` hears of."""

    models: tuple[type[Any], ...]
    bus: Bus

    def table_of(self, model: type[Any]) -> str:
        return str(model.__tablename__)


_WATCHES: list[Watched] = []


def _watch_for(model: type[Any]) -> Watched | None:
    for watched in _WATCHES:
        if model in watched.models:
            return watched
    return None


def _record(session: Session, model: type[Any], ids: Iterable[Any]) -> None:
    watched = _watch_for(model)
    if watched is None:
        return
    pending: set[tuple[int, str, Any]] = session.info.setdefault(_PENDING, set())
    for id_ in ids:
        pending.add((id(watched), watched.table_of(model), id_))


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    if not _WATCHES:
        return
    for obj in (*session.new, *session.dirty):
        _record(session, type(obj), [getattr(obj, "id", None)])


def _on_execute(state: ORMExecuteState) -> None:
    if not _WATCHES or not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is None:
        return
    statement: Any = state.statement
    _record(session=state.session, model=mapper.class_, ids=_ids_in(statement.whereclause))


def _ids_in(clause: Any) -> list[Any]:
    """Row ids a WHERE clause pins down (``id == v``, ``id IN (…)``), or ``[None]``."""
    parts = clause.clauses if isinstance(clause, BooleanClauseList) else [clause]
    for part in parts:
        if isinstance(part, BinaryExpression) and getattr(part.left, "key", None) == "id":
            right = part.right
            if isinstance(right, BindParameter):
                value = right.effective_value
                return list(value) if isinstance(value, (list, tuple)) else [value]
    return [None]


def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    buses = {id(w): w.bus for w in _WATCHES}
    for bus_id, table, id_ in pending:
        bus = buses.get(bus_id)
        if bus is not None:
            bus.publish_nowait({"table": table, "id": id_})


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "do_orm_execute", _on_execute)
event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_soft_rollback", lambda session, _tx: _after_rollback(session))


@asynccontextmanager
async def watching(models: tuple[type[Any], ...], redis_url: str | None, channel: str) -> Any:
    """Watch ``models`` for the app's lifetime; yields the bus its subscriptions listen to."""
    bus: LocalBus | RedisBus
    if redis_url:
        bus = RedisBus(redis_url, channel)
        await bus.start()
    else:
        bus = LocalBus()
    watched = Watched(models, bus)
    _WATCHES.append(watched)
    try:
        yield bus
    finally:
        _WATCHES.remove(watched)
        if isinstance(bus, RedisBus):
            await bus.stop()


async def changes_of(
    bus: Bus,
    table: str,
    row_id: str | None,
    load: Callable[[], Awaitable[Any]],
    state: Callable[[Any], Any],
    *,
    initial: bool = True,
) -> AsyncGenerator[Any, None]:
    """What ``load()`` returns each time its ``state`` changes, after a notice for ``table``
    (and ``row_id``, unless None: any row). ``initial`` yields the current value first, and
    ends the stream at once when there is none (``load()`` is None)."""
    listener = bus.listen()
    last: Any = object()
    try:
        if initial:
            current = await load()
            if current is None:
                return
            last = state(current)
            yield current
        async for notice in listener:
            if notice.get("table") != table:
                continue
            if row_id is not None and notice.get("id") not in (row_id, None):
                continue
            current = await load()
            if current is None or state(current) == last:
                continue
            last = state(current)
            yield current
    finally:
        listener.close()


def realtime_hook(models: tuple[type[Any], ...], redis_url: str, service: str) -> Any:
    """A lifespan hook watching ``models``; the bus is ``app.state.realtime``. With no
    ``redis_url`` the notices stay in the process (``make run``, one process per service)."""

    @asynccontextmanager
    async def hook(app: Any) -> AsyncIterator[None]:
        async with watching(models, redis_url or None, f"switchboard:changes:{service}") as bus:
            app.state.realtime = bus
            yield

    return hook


def entity_changes(
    info: Any,
    model: type[Any],
    row_id: str,
    resolve: Callable[[], Awaitable[Any]],
    make_loaders: Callable[[Any, Any], Any],
    state: Callable[[Any], Any],
) -> AsyncGenerator[Any, None]:
    """The entity ``resolve()`` gives, now and after each committed change of its ``state``.

    Each reload gets fresh DataLoaders (the connection's context outlives many events, and
    its loaders would answer from their cache), so every event's fields are read after the
    commit that caused it.
    """
    context = info.context
    bus: Bus = context.request.app.state.realtime

    async def load() -> Any:
        context.loaders = make_loaders(context.db, context.settings)
        return await resolve()

    return changes_of(bus, str(model.__tablename__), row_id, load, state)


async def owned_changes_of(
    bus: Bus,
    table: str,
    owner: str,
    load: Callable[[str], Awaitable[Any]],
    owner_of: Callable[[Any], str],
    state: Callable[[Any], Any],
) -> AsyncGenerator[Any, None]:
    """Each row of ``table`` that ``owner`` owns, after a committed change of its ``state``;
    nothing at subscribe time. Notices without an id (``update()`` not by id) are not
    followed: they would mean reloading every row the owner has."""
    listener = bus.listen()
    last: dict[str, Any] = {}
    unseen = object()
    try:
        async for notice in listener:
            row_id = notice.get("id")
            if notice.get("table") != table or not isinstance(row_id, str):
                continue
            current = await load(row_id)
            if current is None or owner_of(current) != owner:
                continue
            fingerprint = state(current)
            if last.get(row_id, unseen) == fingerprint:
                continue
            last[row_id] = fingerprint
            yield current
    finally:
        listener.close()


def owned_changes(
    info: Any,
    model: type[Any],
    owner: str,
    resolve: Callable[[str], Awaitable[Any]],
    owner_of: Callable[[Any], str],
    make_loaders: Callable[[Any, Any], Any],
    state: Callable[[Any], Any],
) -> AsyncGenerator[Any, None]:
    """``owned_changes_of`` for a resolver: fresh DataLoaders for every reload. FORBIDDEN at
    subscribe time for a customer other than the caller (staff and services may watch any)."""
    context = info.context
    if not context.identity.may_see(owner):
        raise Forbidden("Only this customer (or staff) may watch its events.")
    bus: Bus = context.request.app.state.realtime

    async def load(row_id: str) -> Any:
        context.loaders = make_loaders(context.db, context.settings)
        return await resolve(row_id)

    return owned_changes_of(bus, str(model.__tablename__), owner, load, owner_of, state)

"""The order-event outbox: enqueued once per cause, delivered at least once, backed off.

The dispatcher runs against a real database; its HTTP delivery against the real orders app
(in process, its peers on a closed port). End to end: tests/e2e/test_order_sync.py.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase

from subgraphs.common.db import RequestDb, create_engine, session_factory
from subgraphs.common.demo import world
from subgraphs.common.events import (
    EventDispatcher,
    EventOutboxMixin,
    Outcome,
    RetryLater,
    enqueue_event,
    retry_delay,
)
from subgraphs.common.ids import new_id
from subgraphs.invoices.order_events import http_delivery
from tests.support.databases import backends, fresh_database
from tests.support.inprocess import InProcessSubgraph, in_process_subgraph
from tests.support.processes import free_port


class Base(DeclarativeBase):
    pass


class Events(EventOutboxMixin, Base):
    __tablename__ = "order_events"


@pytest.fixture(params=backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, "events", tmp_path) as url:
        yield url


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield session_factory(engine)
    await engine.dispose()


async def enqueue(sessions: async_sessionmaker[AsyncSession], key: str, n: int) -> None:
    db = RequestDb(sessions)
    try:
        async with db.transaction() as session:
            await enqueue_event(session, Events, key=key, payload={"n": n})
    finally:
        await db.close()


async def rows(sessions: async_sessionmaker[AsyncSession]) -> list[Events]:
    async with sessions() as session:
        return list((await session.scalars(select(Events).order_by(Events.id))).all())


class Receiver:
    """Answers with ``outcomes`` in turn (RetryLater for "RETRY"), recording what it got."""

    def __init__(self, *outcomes: str) -> None:
        self.outcomes = list(outcomes)
        self.got: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, key: str, payload: dict[str, Any]) -> Outcome:
        self.got.append((key, payload))
        outcome = self.outcomes.pop(0)
        if outcome == "RETRY":
            raise RetryLater("orders is down")
        return "DELIVERED" if outcome == "DELIVERED" else "REJECTED"


async def test_one_cause_enqueues_one_event_and_a_failed_delivery_is_retried_later(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await enqueue(sessions, "order-event:charge:pay_1", 1)
    await enqueue(sessions, "order-event:charge:pay_1", 2)  # the same cause again
    receiver = Receiver("RETRY", "DELIVERED")
    dispatcher = EventDispatcher(sessions, Events, receiver)
    now = datetime.now(UTC)
    assert await dispatcher.dispatch_due(now) == (0, 0, 1)
    [row] = await rows(sessions)
    assert (row.attempts, row.delivered_at, row.last_error) == (1, None, "orders is down")
    assert row.next_attempt_at == now + timedelta(seconds=1)
    assert await dispatcher.dispatch_due(now) == (0, 0, 0)  # not due yet
    assert await dispatcher.dispatch_due(now + timedelta(seconds=1)) == (1, 0, 0)
    [row] = await rows(sessions)
    assert row.delivered_at is not None
    assert row.rejected is False
    assert receiver.got == [("order-event:charge:pay_1", {"n": 1})] * 2
    assert await dispatcher.dispatch_due(now + timedelta(hours=1)) == (0, 0, 0)


async def test_a_rejected_event_is_never_sent_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await enqueue(sessions, "order-event:refund:rfd_1", 1)
    dispatcher = EventDispatcher(sessions, Events, Receiver("REJECTED"))
    assert await dispatcher.dispatch_due() == (0, 1, 0)
    [row] = await rows(sessions)
    assert row.rejected is True
    assert row.delivered_at is not None
    assert row.last_error == "rejected by the receiver"
    assert await dispatcher.dispatch_due(datetime.now(UTC) + timedelta(hours=1)) == (0, 0, 0)


async def test_a_dispatcher_that_died_holding_a_lease_is_taken_over_when_it_expires(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await enqueue(sessions, "order-event:charge:pay_2", 1)
    lease = timedelta(seconds=30)
    dead = EventDispatcher(sessions, Events, Receiver(), lease=lease)
    now = datetime.now(UTC)
    assert len(await dead.claim(now)) == 1  # claimed, then it "died" before delivering
    alive = EventDispatcher(sessions, Events, Receiver("DELIVERED", "DELIVERED"), lease=lease)
    assert await alive.dispatch_due(now + timedelta(seconds=10)) == (0, 0, 0)
    assert await alive.dispatch_due(now + timedelta(seconds=31)) == (1, 0, 0)


def test_the_back_off_doubles_up_to_its_cap() -> None:
    cap = timedelta(seconds=5)
    assert [retry_delay(n, cap).total_seconds() for n in (1, 2, 3, 4, 30)] == [1, 2, 4, 5, 5]


@pytest.fixture
async def orders(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[InProcessSubgraph]:
    closed = f"http://127.0.0.1:{free_port()}/graphql"
    monkeypatch.setenv("ORDERS_INVOICES_URL", closed)
    monkeypatch.setenv("ORDERS_CUSTOMERS_URL", closed)
    monkeypatch.setenv("ORDERS_OUTBOX_ENABLED", "false")
    with fresh_database(backend, "orders", tmp_path) as url:
        async with in_process_subgraph("orders", url) as subgraph:
            yield subgraph


def state(order_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "invoiceId": "inv_1",
        "orderId": order_id,
        "status": "PAID",
        "paidAt": "2026-05-01T10:00:00+00:00",
        "amountPaid": 100,
        "amountRefunded": 0,
        "currency": world().products[0].currency,
        **extra,
    }


async def test_http_delivery_maps_the_orders_answers(orders: InProcessSubgraph) -> None:
    deliver = http_delivery(orders.client, "http://subgraph/graphql")
    assert await deliver("k1", state("ord_missing")) == "REJECTED"  # 404
    assert await deliver("k2", state("ord_missing", status="OPEN")) == "REJECTED"  # 400
    product = world().products[0]
    placed = await orders.execute(
        "mutation($i: PlaceOrderInput!, $k: String!) { placeOrder(input: $i, idempotencyKey: $k)"
        " { id } }",
        {
            "i": {"customerId": new_id("cus"), "lines": [
                {"productId": product.id, "quantity": 1}]},
            "k": uuid.uuid4().hex,
        },
    )  # fmt: skip
    order_id = placed["data"]["placeOrder"]["id"]
    with pytest.raises(RetryLater, match="HTTP 503"):  # customers down: retry later
        await deliver("k3", state(order_id))
    async with httpx.AsyncClient() as http:
        closed = http_delivery(http, f"http://127.0.0.1:{free_port()}")
        with pytest.raises(RetryLater, match="did not answer"):
            await closed("k4", state(order_id))
